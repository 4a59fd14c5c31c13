// Tests for OnCallIntegrations arrive with the code they test.
import Testing
