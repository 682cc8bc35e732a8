//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package documents

import (
	"errors"
	"os"
	"syscall"
)

// lockSpool takes an flock on a new spool file, which tells sweepSpool the
// file is in use until the process closes it or dies. A failure only makes
// the file look abandoned sooner, which does its owner no harm.
func lockSpool(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB) }) //nolint:errcheck
	}
}

// spoolHeld reports whether a process holds the spool file at path.
func spoolHeld(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return false, err
	}
	defer f.Close() // drops our lock, if we got it
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB) }); err != nil {
		return false, err
	}
	if errors.Is(ferr, syscall.EWOULDBLOCK) {
		return true, nil
	}
	return false, ferr
}
