package request

import (
	"os"
	"path/filepath"
	"testing"
)

// Docker config proxies become the four upper-case build args buildx sets,
// the daemon host's entry winning over "default", and never over an arg
// the target sets in any case.
func TestProxyArgsFromDockerConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"proxies":{"default":{"httpProxy":"http://d:3128","httpsProxy":"http://ds:3128","noProxy":"localhost","ftpProxy":"ftp://f","allProxy":"socks5://a"},
	"tcp://10.0.0.1:2375":{"httpProxy":"http://host:3128"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DOCKER_CONFIG": dir}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	got := ProxyArgs(lookup)
	want := map[string]string{"HTTP_PROXY": "http://d:3128", "HTTPS_PROXY": "http://ds:3128", "NO_PROXY": "localhost", "FTP_PROXY": "ftp://f"}
	if len(got) != len(want) {
		t.Fatalf("default proxies = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("default proxies = %v, want %v", got, want)
		}
	}
	env["DOCKER_HOST"] = "tcp://10.0.0.1:2375"
	if got := ProxyArgs(lookup); len(got) != 1 || got["HTTP_PROXY"] != "http://host:3128" {
		t.Fatalf("per-host proxies = %v", got)
	}

	w := workdir(t)
	r, err := Translate("app", target(t, `{"context":"app","args":{"http_proxy":"http://mine"}}`), Options{Dir: w, ProxyArgs: want})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Attrs["build-arg:HTTP_PROXY"]; ok || r.Attrs["build-arg:http_proxy"] != "http://mine" {
		t.Fatalf("target's own http_proxy overridden: %v", r.Attrs)
	}
	if r.Attrs["build-arg:NO_PROXY"] != "localhost" || r.Attrs["build-arg:FTP_PROXY"] != "ftp://f" {
		t.Fatalf("proxy args missing: %v", r.Attrs)
	}
}

// A named local context carries buildx's sharedkey:localdir:NAME attribute:
// the folder's base name and the node id.
func TestNamedLocalContextSharedKey(t *testing.T) {
	w := workdir(t)
	r, err := Translate("app", target(t, `{"context":"app","contexts":{"lib":"shared","base":"docker-image://busybox"}}`), Options{Dir: w, NodeID: "abc123"})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Attrs["sharedkey:localdir:lib"]; got != "shared:abc123" {
		t.Fatalf("sharedkey:localdir:lib = %q, want shared:abc123", got)
	}
	if _, ok := r.Attrs["sharedkey:localdir:base"]; ok {
		t.Fatalf("image context got a shared key: %v", r.Attrs)
	}
}

// NodeID creates buildx's .buildNodeID once and then reads it back; a
// config directory that does not exist gives "" as in buildx.
func TestNodeID(t *testing.T) {
	dir := t.TempDir()
	lookup := func(k string) (string, bool) {
		if k == "BUILDX_CONFIG" {
			return dir, true
		}
		return "", false
	}
	id := NodeID(lookup)
	if len(id) != 16 {
		t.Fatalf("node id %q, want 16 hex digits", id)
	}
	if again := NodeID(lookup); again != id {
		t.Fatalf("node id changed: %q then %q", id, again)
	}
	dir = filepath.Join(dir, "missing")
	if id := NodeID(lookup); id != "" {
		t.Fatalf("node id in a missing directory = %q", id)
	}
}

// Extra hosts are passed as buildx passes them; host-gateway waits for
// the node.
func TestExtraHostsParity(t *testing.T) {
	w := workdir(t)
	r, err := Translate("app", target(t, `{"context":"app","extra-hosts":{"gw":"host-gateway","v6":"[::1]","a":"1.2.3.4,5.6.7.8"}}`), Options{Dir: w})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Attrs["add-hosts"], "a=1.2.3.4,a=5.6.7.8,gw=host-gateway,v6=::1"; got != want {
		t.Fatalf("add-hosts = %q, want %q", got, want)
	}
	// invalid hosts are refused by bake (bake/positions_test.go)
}

// s3 cache entries get the AWS credentials of the client's environment;
// keys the entry sets stay.
func TestS3CacheCredentials(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "tok")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	w := workdir(t)
	r, err := Translate("app", target(t, `{"context":"app","cache-from":[{"type":"s3","bucket":"b","region":"r"}],"cache-to":[{"type":"s3","bucket":"b","region":"r","access_key_id":"MINE","secret_access_key":"MINE2"}]}`), Options{Dir: w})
	if err != nil {
		t.Fatal(err)
	}
	from := r.CacheImports[0].Attrs
	if from["access_key_id"] != "AKIDTEST" || from["secret_access_key"] != "secret" || from["session_token"] != "tok" {
		t.Fatalf("cache-from attrs = %v", from)
	}
	to := r.CacheExports[0].Attrs
	if to["access_key_id"] != "MINE" || to["secret_access_key"] != "MINE2" || to["session_token"] != "" {
		t.Fatalf("cache-to attrs = %v", to)
	}
}
