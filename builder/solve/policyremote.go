package solve

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/buildx/util/sourcemeta"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/tonistiigi/fsutil/types"
)

// remotePolicyFS reads policy files from a remote context through the
// policy's source resolver (BuildKit solves the state once), as buildx's
// remotePolicyFS does.
type remotePolicyFS struct {
	ctx      context.Context
	resolver *sourcemeta.Resolver
	state    llb.State

	once sync.Once
	ref  gateway.Reference
	err  error
}

func (r *remotePolicyFS) resolveRef() (gateway.Reference, error) {
	r.once.Do(func() { r.ref, r.err = r.resolver.ResolveState(r.ctx, r.state) })
	return r.ref, r.err
}

// remotePolicyPath is buildx's normalizeRemotePolicyPath.
func remotePolicyPath(raw string) (string, error) {
	clean := strings.TrimPrefix(path.Join("/", filepath.ToSlash(raw)), "/")
	if clean == "." || clean == "" {
		return "", fmt.Errorf("invalid remote policy filename %q", raw)
	}
	return clean, nil
}

func (r *remotePolicyFS) Stat(name string) (fs.FileInfo, error) {
	p, err := remotePolicyPath(name)
	if err != nil {
		return nil, err
	}
	ref, err := r.resolveRef()
	if err != nil {
		return nil, err
	}
	st, err := ref.StatFile(r.ctx, gateway.StatRequest{Path: p})
	if err != nil {
		return nil, err
	}
	return remoteFileInfo{name: path.Base(p), size: st.Size, mode: fs.FileMode(st.Mode), tm: time.Unix(0, st.ModTime)}, nil
}

func (r *remotePolicyFS) Open(name string) (fs.File, error) {
	fi, err := r.Stat(name)
	if err != nil {
		return nil, err
	}
	p, _ := remotePolicyPath(name)
	ref, _ := r.resolveRef()
	dt, err := ref.ReadFile(r.ctx, gateway.ReadRequest{Filename: p})
	if err != nil {
		return nil, err
	}
	info := fi.(remoteFileInfo)
	info.size = int64(len(dt))
	return &remoteFile{Reader: bytes.NewReader(dt), info: info}, nil
}

type remoteFile struct {
	*bytes.Reader
	info remoteFileInfo
}

func (f *remoteFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *remoteFile) Close() error               { return nil }

type remoteFileInfo struct {
	name string
	size int64
	mode fs.FileMode
	tm   time.Time
}

func (i remoteFileInfo) Name() string       { return i.name }
func (i remoteFileInfo) Size() int64        { return i.size }
func (i remoteFileInfo) Mode() fs.FileMode  { return i.mode }
func (i remoteFileInfo) ModTime() time.Time { return i.tm }
func (i remoteFileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i remoteFileInfo) Sys() any {
	return &types.Stat{Mode: uint32(i.mode), Size: i.size, ModTime: i.tm.UnixNano()}
}
