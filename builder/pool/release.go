package pool

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/kiln-build/kiln/builder/pool/join"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Release is the last step of an atomic run over a pool: every push of the
// run went out by digest (nothing tagged), and the tags are written only
// once every target has succeeded, so a failure anywhere leaves every tag
// in the registry as it was. Nodes push independently, so holding BuildKit's
// own tagging push until the others have solved (as one node does) would
// still let a node's export fail after another's tag moved.
type Release struct {
	mu      sync.Mutex
	pending map[string][]heldTags // target → what to tag once the run succeeded
}

// heldTags is one push export's tags, held back.
type heldTags struct {
	repo string // where the image was pushed by digest
	tags []string
	desc ocispec.Descriptor
}

// TagError is a tag the release could not write.
type TagError struct {
	Target string
	Tags   []string
	Err    error
}

func (e TagError) Error() string {
	return fmt.Sprintf("target %s: %s not written: %v", e.Target, strings.Join(e.Tags, ", "), e.Err)
}

// holdTags returns r with every tagging push turned into a push by digest
// to the first name's repository, and the names to tag afterwards, one
// entry per push export. Pushes already by digest are the user's and kept.
func holdTags(r *request.Request) (*request.Request, [][]string, error) {
	out := *r
	out.Exports = slices.Clone(r.Exports)
	var held [][]string
	for i, e := range r.Exports {
		if !e.Push() || e.Attrs[string(exptypes.OptKeyPushByDigest)] == "true" || e.Attrs["name"] == "" {
			continue
		}
		names, repo, err := imageNames(e.Attrs["name"])
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: %w", r.Target, err)
		}
		if len(names) == 0 {
			continue
		}
		attrs := maps.Clone(e.Attrs)
		attrs["name"] = repo
		attrs[string(exptypes.OptKeyPushByDigest)] = "true"
		out.Exports[i].Attrs = attrs
		held = append(held, names)
	}
	if len(held) == 0 {
		return r, nil, nil
	}
	return &out, held, nil
}

// pushed records what a target's solve pushed by digest (its exporter
// response) against the names held for it, and gives the response the
// names the user asked for, as a tagging push reports them.
func (rl *Release) pushed(r *request.Request, held [][]string, resp map[string]string) error {
	if len(held) == 0 {
		return nil
	}
	desc, err := descriptorOf(resp)
	if err != nil {
		return fmt.Errorf("target %s: %w", r.Target, err)
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.pending == nil {
		rl.pending = map[string][]heldTags{}
	}
	var all []string
	for _, names := range held {
		first, _ := reference.ParseNormalizedNamed(names[0])
		rl.pending[r.Target] = append(rl.pending[r.Target], heldTags{repo: first.Name(), tags: names, desc: desc})
		all = append(all, names...)
	}
	resp[exptypes.ExporterImageNameKey] = strings.Join(all, ",")
	return nil
}

// hold keeps h for the release.
func (rl *Release) hold(target string, h heldTags) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.pending == nil {
		rl.pending = map[string][]heldTags{}
	}
	rl.pending[target] = append(rl.pending[target], h)
}

// Tags lists the tags held, by target.
func (rl *Release) Tags() map[string][]string {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	out := map[string][]string{}
	for t, hs := range rl.pending {
		for _, h := range hs {
			out[t] = append(out[t], h.tags...)
		}
	}
	return out
}

// Write writes every held tag when every outcome succeeded; otherwise
// nothing (the errors are then nil: the run's failure says why). A tag
// that cannot be written does not stop the others.
func (rl *Release) Write(ctx context.Context, auth join.Auth, outcomes []schedule.Outcome) []TagError {
	for _, o := range outcomes {
		if o.Status != schedule.Succeeded {
			return nil
		}
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	var errs []TagError
	for _, t := range slices.Sorted(maps.Keys(rl.pending)) {
		for _, h := range rl.pending[t] {
			if err := join.Tag(ctx, auth, h.repo, h.desc, h.tags); err != nil {
				errs = append(errs, TagError{Target: t, Tags: h.tags, Err: err})
			}
		}
	}
	return errs
}
