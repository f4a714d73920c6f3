//go:build unix

package spancommit_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process used so far (user + system, all
// threads).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
