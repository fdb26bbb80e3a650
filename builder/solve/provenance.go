package solve

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/content/proxy"
	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/buildkit/client"
	provenancetypes "github.com/moby/buildkit/solver/llbsolver/provenance/types"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// Metadata provenance modes (BUILDX_METADATA_PROVENANCE): what buildx puts
// under buildx.build.provenance in the metadata file.
const (
	ProvenanceMin      = "min"
	ProvenanceMax      = "max"
	ProvenanceDisabled = "disabled"
)

// MetadataProvenance reads BUILDX_METADATA_PROVENANCE as buildx does
// (default min; "false" or "disabled" turn it off).
func MetadataProvenance(lookupEnv func(string) (string, bool)) string {
	v, _ := lookupEnv("BUILDX_METADATA_PROVENANCE")
	switch v {
	case ProvenanceMin, ProvenanceMax, ProvenanceDisabled:
		return v
	}
	if b, err := strconv.ParseBool(v); err == nil && !b {
		return ProvenanceDisabled
	}
	return ProvenanceMin
}

// recordProvenance adds buildx.build.provenance[/PLATFORM] to a solve's
// response: the SLSA provenance BuildKit kept in the build's history
// record, as buildx's setRecordProvenance reads it.
func recordProvenance(ctx context.Context, c *client.Client, ref, mode string, out map[string]string) error {
	if mode == "" || mode == ProvenanceDisabled {
		return nil
	}
	cl, err := c.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{Ref: ref, EarlyExit: true})
	if err != nil {
		return err
	}
	store := proxy.NewContentStore(c.ContentClient())
	var mu sync.Mutex
	eg, ctx := errgroup.WithContext(ctx)
	add := func(key string, res *controlapi.BuildResultInfo) {
		desc, predicate := provenanceOf(res)
		if desc == nil {
			return
		}
		eg.Go(func() error {
			dt, err := content.ReadBlob(ctx, store, *desc)
			if err != nil {
				return fmt.Errorf("failed to load provenance blob from build record: %w", err)
			}
			prv, err := encodeProvenance(dt, predicate, mode)
			if err != nil {
				return err
			}
			mu.Lock()
			out[key] = prv
			mu.Unlock()
			return nil
		})
	}
	for {
		ev, err := cl.Recv()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		if ev.Record == nil {
			continue
		}
		for p, res := range ev.Record.Results {
			add("buildx.build.provenance/"+p, res)
		}
		if len(ev.Record.Results) == 0 && ev.Record.Result != nil {
			add("buildx.build.provenance", ev.Record.Result)
		}
	}
	return eg.Wait()
}

func provenanceOf(res *controlapi.BuildResultInfo) (*ocispecs.Descriptor, string) {
	for _, a := range res.Attestations {
		if a.MediaType == "application/vnd.in-toto+json" && strings.HasPrefix(a.Annotations["in-toto.io/predicate-type"], "https://slsa.dev/provenance/") {
			return &ocispecs.Descriptor{Digest: digest.Digest(a.Digest), Size: a.Size, MediaType: a.MediaType, Annotations: a.Annotations},
				a.Annotations["in-toto.io/predicate-type"]
		}
	}
	return nil, ""
}

// encodeProvenance is buildx's: SLSA v0.2 form, without build config and
// metadata in min mode, base64-encoded JSON.
func encodeProvenance(dt []byte, predicateType, mode string) (string, error) {
	var pred *provenancetypes.ProvenancePredicateSLSA02
	if predicateType == "https://slsa.dev/provenance/v1" {
		var p1 *provenancetypes.ProvenancePredicateSLSA1
		if err := json.Unmarshal(dt, &p1); err != nil {
			return "", fmt.Errorf("failed to unmarshal provenance: %w", err)
		}
		pred = p1.ConvertToSLSA02()
	} else if err := json.Unmarshal(dt, &pred); err != nil {
		return "", fmt.Errorf("failed to unmarshal provenance: %w", err)
	}
	if mode == ProvenanceMin {
		pred.BuildConfig = nil
		pred.Metadata = nil
	}
	b, err := json.Marshal(pred)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}
