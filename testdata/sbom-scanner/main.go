// Command sbom-scanner is a small SBOM generator for BuildKit's SBOM scanning
// protocol (moby/buildkit docs/attestations/sbom-protocol.md), built and run by
// cmd/kiln's TestIntegrationSBOM so that `attest type=sbom,generator=…` is
// exercised without pulling docker/buildkit-syft-scanner from the internet.
//
// BuildKit runs the image with BUILDKIT_SCAN_SOURCE (the target's root
// filesystem, read-only), BUILDKIT_SCAN_DESTINATION (an empty directory for
// the results) and, when stages or contexts are scanned too,
// BUILDKIT_SCAN_SOURCE_EXTRAS (a directory of further root filesystems). For
// each filesystem it writes DEST/<name>.spdx.json, <name> being the last
// element of the filesystem's path: an in-toto statement whose predicate is an
// SPDX 2.3 JSON document. BuildKit takes the one named after the source's
// basename ("sbom") as the image's core SBOM.
//
// It finds Debian packages (/var/lib/dpkg/status and status.d), Alpine
// packages (/lib/apk/db/installed) and Go binaries with their build
// information (debug/buildinfo: main module, dependencies, Go version). It
// lives under testdata so that `go build ./...` and `go test ./...` leave it
// out; it imports only what kiln's module already requires.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
)

// statement is an in-toto v0.1 statement, the form BuildKit reads from each
// file of an attestation bundle (exporter/attestation/unbundle.go). Subjects
// are left to BuildKit, which sets them to the image it attaches the SBOM to.
type statement struct {
	Type          string          `json:"_type"`
	PredicateType string          `json:"predicateType"`
	Subject       []any           `json:"subject"`
	Predicate     json.RawMessage `json:"predicate"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sbom-scanner:", err)
		os.Exit(1)
	}
}

func run() error {
	src := os.Getenv("BUILDKIT_SCAN_SOURCE")
	dest := os.Getenv("BUILDKIT_SCAN_DESTINATION")
	if src == "" || dest == "" {
		return fmt.Errorf("BUILDKIT_SCAN_SOURCE and BUILDKIT_SCAN_DESTINATION must be set (got %q, %q)", src, dest)
	}
	targets := []string{src}
	// Extras are optional: unset, empty or missing means none (the protocol
	// forbids failing on them).
	if extras := os.Getenv("BUILDKIT_SCAN_SOURCE_EXTRAS"); extras != "" {
		entries, err := os.ReadDir(extras)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		for _, e := range entries {
			if e.IsDir() {
				targets = append(targets, filepath.Join(extras, e.Name()))
			}
		}
	}
	created := time.Now().UTC()
	for _, dir := range targets {
		name := filepath.Base(dir)
		found, err := scan(dir)
		if err != nil {
			return fmt.Errorf("scan %s: %w", name, err)
		}
		var doc bytes.Buffer
		if err := spdxjson.Write(document(name, found, created), &doc); err != nil {
			return fmt.Errorf("%s: encode SPDX: %w", name, err)
		}
		b, err := json.Marshal(statement{
			Type:          "https://in-toto.io/Statement/v0.1",
			PredicateType: "https://spdx.dev/Document",
			Subject:       []any{},
			Predicate:     doc.Bytes(),
		})
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dest, name+".spdx.json"), b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "sbom-scanner: %s: %d packages\n", name, len(found.packages))
	}
	return nil
}
