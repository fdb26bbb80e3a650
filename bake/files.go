package bake

import (
	"fmt"
	"io"
	"os"
	"strings"

	"errors"
	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/docker/go-units"
)

// File is one bake definition as read from disk ("-" is stdin).
type File struct {
	Name string
	Data []byte
}

// DefaultFileNames are the files read when none is given, in buildx's order:
// the compose names, then docker-bake.json, docker-bake.hcl and their
// .override variants. All that exist are read and merged.
func DefaultFileNames() []string {
	names := append([]string{}, composecli.DefaultFileNames...)
	return append(names,
		"docker-bake.json",
		"docker-bake.hcl",
		"docker-bake.override.json",
		"docker-bake.override.hcl",
	)
}

// ReadLocalFiles reads the named files in order ("-" reads stdin). With no
// names it reads whichever default files exist.
func ReadLocalFiles(names []string, stdin io.Reader) ([]File, error) {
	isDefault := len(names) == 0
	if isDefault {
		names = DefaultFileNames()
	}
	out := make([]File, 0, len(names))
	for _, n := range names {
		// cwd:// names a local file explicitly (it matters with remote definitions)
		n = strings.TrimPrefix(n, "cwd://")
		if n == "-" {
			dt, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("reading bake definition from stdin: %w", err)
			}
			out = append(out, File{Name: n, Data: dt})
			continue
		}
		dt, err := os.ReadFile(n)
		if err != nil {
			if isDefault && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, err
		}
		if len(dt) == 0 {
			// buildx skips empty files, named or not
			continue
		}
		out = append(out, File{Name: n, Data: dt})
	}
	return out, nil
}

// FilesFromEnv returns the files named by BUILDX_BAKE_FILE (split on
// BUILDX_BAKE_PATH_SEPARATOR, default ":"); each must exist.
func FilesFromEnv(lookup func(string) (string, bool)) ([]string, error) {
	sep, _ := lookup("BUILDX_BAKE_PATH_SEPARATOR")
	if sep == "" {
		sep = string(os.PathListSeparator)
	}
	f, ok := lookup("BUILDX_BAKE_FILE")
	if !ok {
		return nil, nil
	}
	var paths []string
	for _, p := range strings.Split(f, sep) {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if p != "-" {
			if _, err := os.Stat(p); err != nil {
				return nil, err
			}
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func memBytesString(v int64) string {
	if v == 0 {
		return "0"
	}
	return units.BytesSize(float64(v))
}
