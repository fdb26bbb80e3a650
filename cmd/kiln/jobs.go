package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tonistiigi/go-csvvalue"
)

// checkJobs validates --jobs ("N" or "mode[,parallel=N]") as buildx does,
// so that --print and --list reject what a build would.
func checkJobs(value string) error {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil
	}
	if _, err := strconv.Atoi(value); err == nil {
		value = "parallel=" + value
	}
	fields, err := csvvalue.Fields(value, nil)
	if err != nil {
		return fmt.Errorf("invalid jobs option: %w", err)
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
			return fmt.Errorf("duplicate jobs option %q", key)
		}
		seen[key] = true
		switch key {
		case "mode":
			switch val {
			case "fail-fast", "defer-output", "defer-error":
			default:
				return fmt.Errorf("invalid jobs mode %q", val)
			}
		case "parallel":
			if n, err := strconv.Atoi(val); err != nil || n < 0 {
				return fmt.Errorf("invalid jobs parallel value %q: must be a non-negative integer", val)
			}
		default:
			return fmt.Errorf("unknown jobs option %q", key)
		}
	}
	return nil
}
