package report

import (
	"reflect"
	"testing"

	"github.com/containerd/platforms"
	"github.com/kiln-build/kiln/builder/request"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestUnsupportedPlatforms(t *testing.T) {
	p := func(s string) ocispecs.Platform { v, _ := platforms.Parse(s); return v }
	workers := []ocispecs.Platform{p("linux/amd64"), p("linux/arm64"), p("linux/arm/v7")}
	r := &request.Request{Attrs: map[string]string{"platform": "linux/amd64,linux/s390x,linux/arm64,linux/ppc64le"}}
	if got := unsupported(r, workers); !reflect.DeepEqual(got, []string{"linux/s390x", "linux/ppc64le"}) {
		t.Errorf("unsupported = %v", got)
	}
	if got := unsupported(&request.Request{Attrs: map[string]string{}}, workers); got != nil {
		t.Errorf("no platform: %v", got)
	}
}
