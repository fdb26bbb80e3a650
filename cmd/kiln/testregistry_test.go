package main

// A real docker-registry (CNCF Distribution) on 127.0.0.1 for push and cache tests.

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/kiln-build/kiln/internal/testenv"
)

// testRegistry starts the registry the tests share, once.
func testRegistry(t *testing.T) *testenv.Registry {
	t.Helper()
	regOnce.Do(func() {
		reg, regErr = testenv.NewRegistry()
		if reg != nil {
			atExit(reg.Stop)
		}
	})
	if regErr != nil {
		msg := "starting docker-registry: " + regErr.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return reg
}

// registryRepo reads one repository of the registry over HTTP.
type registryRepo struct {
	r    *testenv.Registry
	name string
}

func (rr registryRepo) get(kind, ref string) ([]byte, http.Header, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/v2/%s/%s/%s", rr.r.Addr, rr.name, kind, ref), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", testenv.ManifestAccept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %s: %s", req.URL, resp.Status, b)
	}
	return b, resp.Header, nil
}

func (rr registryRepo) blob(digest string) ([]byte, error) {
	b, _, err := rr.get("blobs", digest)
	return b, err
}

func (rr registryRepo) manifest(digest string) ([]byte, error) {
	b, _, err := rr.get("manifests", digest)
	return b, err
}

// images fetches tag's manifest and returns its images by platform and the
// digest the registry gives the top-level manifest.
func (rr registryRepo) images(t *testing.T, tag string) (map[string]*image, string) {
	t.Helper()
	b, h, err := rr.get("manifests", tag)
	if err != nil {
		t.Fatalf("fetch %s/%s:%s: %v", rr.r.Addr, rr.name, tag, err)
	}
	return images(t, rr, b), h.Get("Docker-Content-Digest")
}

// --- leftovers of a killed engine -------------------------------------------
