// Package oneshot turns the garbage collector off from the start of the
// sub-commands that do one thing and exit (vanban verify): its init runs
// before those of the service's heavy packages, whose allocations would
// otherwise start a collection that the exit makes pointless. Past 512 MiB
// of memory, the collector runs all the same.
package oneshot

import (
	"os"
	"runtime/debug"
)

// On says whether the collector was turned off; GCPercent and MemoryLimit
// are the settings Restore puts back.
var (
	On          bool
	GCPercent   int
	MemoryLimit int64
)

func init() {
	if len(os.Args) > 1 && os.Args[1] == "verify" {
		On = true
		GCPercent = debug.SetGCPercent(-1)
		MemoryLimit = debug.SetMemoryLimit(min(debug.SetMemoryLimit(-1), 512<<20))
	}
}

// Restore turns the collector back on, for a command whose input turns
// out to be large.
func Restore() {
	if On {
		debug.SetGCPercent(GCPercent)
		debug.SetMemoryLimit(MemoryLimit)
		On = false
	}
}
