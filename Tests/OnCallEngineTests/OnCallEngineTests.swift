// Tests for OnCallEngine arrive with the code they test.
import Testing
