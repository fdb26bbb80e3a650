package engine

import (
	"strings"
	"testing"
)

func TestCheckServeSecurity(t *testing.T) {
	mtls := TLSFiles{Cert: "c", Key: "k", CA: "ca"}
	for _, tc := range []struct {
		addrs    []string
		tls      TLSFiles
		insecure bool
		err      string // "" means accepted
		warn     string // a warning containing this, "" none
	}{
		{[]string{"unix:///s"}, TLSFiles{}, false, "", ""},
		{[]string{"tcp://0.0.0.0:1234"}, mtls, false, "", ""},
		{[]string{"tcp://[::]:1234"}, TLSFiles{}, false, "not a loopback address", ""},
		{[]string{"tcp://:1234"}, TLSFiles{}, false, "not a loopback address", ""},
		{[]string{"tcp://buildhost:1234"}, TLSFiles{}, false, "not a loopback address", ""},
		{[]string{"tcp://10.0.0.1:1234"}, TLSFiles{Cert: "c", Key: "k"}, false, "not a loopback address", ""},
		{[]string{"tcp://0.0.0.0:1234"}, TLSFiles{}, true, "", "(--insecure-tcp): anyone who can reach it"},
		{[]string{"tcp://127.0.0.1:1234"}, TLSFiles{}, false, "", "has no mutual TLS"},
		{[]string{"tcp://[::1]:1234"}, TLSFiles{Cert: "c", Key: "k"}, false, "", "has no mutual TLS"},
		{[]string{"tcp://localhost:1234"}, TLSFiles{}, false, "", "has no mutual TLS"},
		{[]string{"tcp://127.0.0.1:1234"}, TLSFiles{CA: "ca"}, false, "--tlscacert needs --tlscert and --tlskey", ""},
		{[]string{"tcp://127.0.0.1:1234"}, TLSFiles{Cert: "c", CA: "ca"}, false, "--tlscert and --tlskey go together", ""},
		{[]string{"tcp://127.0.0.1:1234"}, TLSFiles{Key: "k"}, false, "--tlscert and --tlskey go together", ""},
		{[]string{"unix:///s"}, mtls, false, "apply to tcp:// addresses", ""},
		{[]string{"unix:///s", "tcp://127.0.0.1:1"}, mtls, false, "", ""},
	} {
		warns, err := CheckServeSecurity(tc.addrs, tc.tls, tc.insecure)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%v %+v: %v", tc.addrs, tc.tls, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v %+v: error %v, want %q", tc.addrs, tc.tls, err, tc.err)
		case tc.warn == "" && len(warns) > 0:
			t.Errorf("%v %+v: warnings %q", tc.addrs, tc.tls, warns)
		case tc.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tc.warn) || !strings.Contains(warns[0], tc.addrs[0])):
			t.Errorf("%v %+v: warnings %q, want one naming the address and saying %q", tc.addrs, tc.tls, warns, tc.warn)
		}
	}
}
