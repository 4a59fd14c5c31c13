// Tests for OnCallParsers arrive with the code they test.
import Testing
