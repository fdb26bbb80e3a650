package solve

import (
	"encoding/json"
	"testing"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/internal/testenv"
)

func workdir(t *testing.T) string { return testenv.Workdir(t) }

// target decodes a target from its --print JSON, as a user would write it.
func target(t *testing.T, js string) *request.Target {
	t.Helper()
	var tg request.Target
	if err := json.Unmarshal([]byte(js), &tg); err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return &tg
}

// DecodeTarget is target, for the external tests.
func DecodeTarget(t *testing.T, js string) *request.Target { return target(t, js) }
