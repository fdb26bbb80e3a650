package skip

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/builder/inputs"
)

// treeMemo computes each local tree's fingerprint once per run: in a
// monorepo many targets share a named context (or a context), and
// listing and stat-ing it once per target would cost as many walks.
type treeMemo struct {
	mu sync.Mutex
	m  map[string]*treeResult
}

type treeResult struct {
	once sync.Once
	sum  string
	err  error
}

// content is the fingerprint of everything in reads: each tree (its
// directory, exclusions and files) and the single files.
func (tm *treeMemo) content(ctx context.Context, in *inputs.Inputs, stat *inputs.StatCache) (string, error) {
	h := sha256.New()
	for _, t := range in.Trees {
		sum, err := tm.tree(ctx, t, stat)
		if err != nil {
			return "", fmt.Errorf("context %s: %w", t.Name, err)
		}
		fmt.Fprintf(h, "tree\x00%s\x00%s\n", t.Name, sum)
	}
	files, err := (&inputs.Inputs{Files: in.Files}).List()
	if err != nil {
		return "", err
	}
	sum, err := inputs.Fingerprint(ctx, files, stat)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "files\x00%s\n", sum)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (tm *treeMemo) tree(ctx context.Context, t *inputs.Tree, stat *inputs.StatCache) (string, error) {
	key := t.Dir + "\x00" + t.IgnoreFile + "\x00" + strings.Join(t.Excludes, "\x00")
	tm.mu.Lock()
	r, ok := tm.m[key]
	if !ok {
		r = &treeResult{}
		tm.m[key] = r
	}
	tm.mu.Unlock()
	r.once.Do(func() {
		files, err := (&inputs.Inputs{Trees: []*inputs.Tree{t}}).List()
		if err != nil {
			r.err = err
			return
		}
		r.sum, r.err = inputs.Fingerprint(ctx, files, stat)
	})
	return r.sum, r.err
}
