// OnCallIntegrations: the PSA, the Hub (bus publishing, billing, SSO keys), paging channels and bus transports.
// Empty until the side-effects issue.
