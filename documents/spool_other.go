//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package documents

import (
	"errors"
	"os"
)

func lockSpool(*os.File) {}

// spoolHeld cannot tell without flock: sweepSpool falls back on age.
func spoolHeld(string) (bool, error) { return false, errors.New("documents: no flock here") }
