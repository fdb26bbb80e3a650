package testenv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// PushEmptyImage puts an image with no layers (a config only, for
// linux/amd64 and, as BuildKit does not check, any platform) in repo:tag
// of the registry at addr, through the registry API, and returns its
// manifest digest. Different notes give different digests: pushing again
// with another note moves the tag.
func PushEmptyImage(t testing.TB, addr, repo, tag, note string) string {
	t.Helper()
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"note":%q}}}`, note))
	cd := digestOf(cfg)
	resp, err := http.Post("http://"+addr+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusAccepted || loc == "" {
		t.Fatalf("starting a blob upload to %s: %s", repo, resp.Status)
	}
	if strings.HasPrefix(loc, "/") {
		loc = "http://" + addr + loc
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	put(t, loc+sep+"digest="+cd, "application/octet-stream", cfg)
	man := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`, cd, len(cfg)))
	put(t, "http://"+addr+"/v2/"+repo+"/manifests/"+tag, "application/vnd.oci.image.manifest.v1+json", man)
	return digestOf(man)
}

// DeleteManifest deletes repo's manifest digest (and so the tags
// pointing at it) through the registry API.
func DeleteManifest(t testing.TB, addr, repo, digest string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, "http://"+addr+"/v2/"+repo+"/manifests/"+digest, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("deleting %s@%s: %s", repo, digest, resp.Status)
	}
}

func put(t testing.TB, url, contentType string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT %s: %s", url, resp.Status)
	}
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}
