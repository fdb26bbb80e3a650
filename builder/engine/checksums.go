package engine

import (
	"github.com/moby/buildkit/cache"
	"github.com/moby/buildkit/cache/contenthash"
	"github.com/moby/buildkit/worker"
	"github.com/moby/buildkit/worker/base"
)

// BuildKit keeps a process-wide LRU of content-hash contexts keyed by cache
// ref ID, each holding the metadata store it was read from. A reopened
// engine finds the same ref IDs there and reads through the closed store
// ("database not open"). forgetChecksums drops this worker's entries.
func forgetChecksums(w worker.Worker) {
	bw, ok := w.(*base.Worker)
	if !ok || bw.MetadataStore == nil {
		return
	}
	items, err := bw.MetadataStore.All()
	if err != nil {
		return
	}
	for _, it := range items {
		contenthash.ClearCacheContext(refID{id: it.ID()})
	}
}

// refID is the one method ClearCacheContext calls.
type refID struct {
	cache.RefMetadata
	id string
}

func (r refID) ID() string { return r.id }
