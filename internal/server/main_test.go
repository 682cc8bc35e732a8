package server

import (
	"os"
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/oidctest"
	"github.com/hcm-edu/vanban/localsigner/signertest"
	"github.com/hcm-edu/vanban/remotesign/csctest"
	"golang.org/x/crypto/bcrypt"
)

// TestMain makes the many demo users' passwords cheap to hash: bcrypt at
// its production cost dominates these tests under the race detector.
func TestMain(m *testing.M) {
	auth.PasswordCost = bcrypt.MinCost
	code := m.Run()
	closeRealConverter()
	// The helper and the CSC service are built once per run into temporary
	// folders.
	signertest.RemoveBinary()
	csctest.RemoveBinary()
	oidctest.RemoveBinary()
	vanbanProgram.Remove()
	os.Exit(code)
}
