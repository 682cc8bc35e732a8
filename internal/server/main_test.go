package server

import (
	"os"
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"golang.org/x/crypto/bcrypt"
)

// TestMain makes the many demo users' passwords cheap to hash: bcrypt at
// its production cost dominates these tests under the race detector.
func TestMain(m *testing.M) {
	auth.PasswordCost = bcrypt.MinCost
	code := m.Run()
	closeRealConverter()
	os.Exit(code)
}
