package schedule

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/tonistiigi/go-csvvalue"
)

// Modes of running several targets, named as `buildx bake --jobs` names them.
const (
	// FailFast stops every other target when one fails (the default).
	FailFast = "fail-fast"
	// DeferOutput writes no output unless every target solved; a failure
	// stops the others.
	DeferOutput = "defer-output"
	// DeferError lets every target run to its end and reports the failures
	// afterwards; targets that use a failed target's result are aborted.
	DeferError = "defer-error"
)

// Execution is how the targets of one run are scheduled.
type Execution struct {
	Mode string
	// Parallel bounds how many targets solve (and, apart, export) at once;
	// 0 is no bound. It counts only when ParallelSet; otherwise the run
	// takes DefaultParallel().
	Parallel    int
	ParallelSet bool
}

// Bound is the bound the run takes (for Limit): the user's --jobs
// parallel=N (0 for none, as buildx), else DefaultParallel.
func (e Execution) Bound() int {
	if e.ParallelSet {
		return e.Parallel
	}
	return DefaultParallel()
}

// DefaultParallel is how many targets solve at once when --jobs gives no
// parallel=N: 4 per CPU, at least 16. buildx bake starts every target at
// once and leaves the bound to BuildKit's worker (max-parallelism, unbounded
// by default); that holds every target's session and export buffers at
// once, about 8 MB a target with tar outputs. Solving waits on runc and
// the disk more than on a CPU, so a few targets per CPU keep the machine
// busy (docs/evaluation.md, "Memory", has the measurements).
func DefaultParallel() int { return max(16, 4*runtime.NumCPU()) }

// ParseJobs reads the --jobs value: "N" or "mode[,parallel=N]", exactly as
// buildx v0.38's parseBakeJobs.
func ParseJobs(value string) (Execution, error) {
	ex := Execution{Mode: FailFast}
	value = strings.TrimSpace(value)
	if value == "" {
		return ex, nil
	}
	if _, err := strconv.Atoi(value); err == nil {
		value = "parallel=" + value
	}
	fields, err := csvvalue.Fields(value, nil)
	if err != nil {
		return ex, fmt.Errorf("invalid jobs option: %w", err)
	}
	seen := map[string]bool{}
	for _, field := range fields {
		key, val, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			key, val = "mode", key
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		if seen[key] {
			return ex, fmt.Errorf("duplicate jobs option %q", key)
		}
		seen[key] = true
		switch key {
		case "mode":
			switch val {
			case FailFast, DeferOutput, DeferError:
				ex.Mode = val
			default:
				return ex, fmt.Errorf("invalid jobs mode %q", val)
			}
		case "parallel":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return ex, fmt.Errorf("invalid jobs parallel value %q: must be a non-negative integer", val)
			}
			ex.Parallel, ex.ParallelSet = n, true
		default:
			return ex, fmt.Errorf("unknown jobs option %q", key)
		}
	}
	return ex, nil
}
