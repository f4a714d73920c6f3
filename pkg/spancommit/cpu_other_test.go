//go:build !unix

package spancommit_test

import "time"

// processCPU is not measured here; cpu-ns/span reads 0.
func processCPU() time.Duration { return 0 }
