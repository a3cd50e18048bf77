package awslambda_test

import (
	"os"
	"testing"

	"github.com/casescribe/sharing/infra/localstack"
)

// TestMain stops the emulators TestLambdaBinaries started, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	localstack.StopTestStack()
	os.Exit(code)
}
