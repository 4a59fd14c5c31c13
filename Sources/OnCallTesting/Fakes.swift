// The fake peers are the tests' too.
@_exported public import OnCallFakes
