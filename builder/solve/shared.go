package solve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/filesync"
	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// sharedLocals serves a local directory that several targets read under
// the same mount name from one session, so BuildKit transfers it once (as
// buildx's detectSharedMounts does); each solve names that session in a
// local-sessionid:NAME attribute.
type sharedLocals struct {
	sessions []*sharedSession
	ids      map[localKey]string
}

type localKey struct{ name, dir string }

type sharedSession struct {
	*session.Session
	dirs filesync.StaticDirSource
}

func newSharedLocals(ctx context.Context, reqs []*request.Request) (*sharedLocals, error) {
	uses := map[localKey]int{}
	for _, r := range reqs {
		for name, dir := range r.Locals {
			if dir != "" {
				uses[localKey{name, dir}]++
			}
		}
	}
	s := &sharedLocals{ids: map[localKey]string{}}
	for k, n := range uses {
		if n < 2 {
			continue
		}
		fs, err := fsutil.NewFS(k.dir)
		if err != nil {
			return nil, err
		}
		fs, err = fsutil.NewFilterFS(fs, &fsutil.FilterOpt{Map: resetOwner})
		if err != nil {
			return nil, err
		}
		var ss *sharedSession
		for _, c := range s.sessions { // one directory per name per session
			if _, taken := c.dirs[k.name]; !taken {
				ss = c
				break
			}
		}
		if ss == nil {
			sess, err := session.NewSession(ctx, sharedKey(k.dir))
			if err != nil {
				s.close()
				return nil, err
			}
			ss = &sharedSession{Session: sess, dirs: filesync.StaticDirSource{}}
			s.sessions = append(s.sessions, ss)
		}
		ss.dirs[k.name] = fs
		s.ids[k] = ss.ID()
	}
	for _, ss := range s.sessions {
		ss.Allow(filesync.NewFSSyncProvider(ss.dirs))
	}
	return s, nil
}

// run connects the shared sessions to the node until ctx ends.
func (s *sharedLocals) run(ctx context.Context, c *client.Client) {
	for _, ss := range s.sessions {
		go ss.Run(ctx, c.Dialer())
	}
}

func (s *sharedLocals) close() {
	for _, ss := range s.sessions {
		ss.Close()
	}
}

func (s *sharedLocals) id(name, dir string) string {
	if s == nil {
		return ""
	}
	return s.ids[localKey{name, dir}]
}

// resetOwner sends files as owned by root, as BuildKit's client does for
// the local mounts of a solve.
func resetOwner(_ string, st *fstypes.Stat) fsutil.MapResult {
	st.Uid, st.Gid = 0, 0
	return fsutil.MapResultKeep
}

// sharedKey names a context directory for BuildKit's incremental transfer
// cache: the same directory reuses what was sent before.
func sharedKey(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Base(dir) + "-" + hex.EncodeToString(sum[:6])
}
