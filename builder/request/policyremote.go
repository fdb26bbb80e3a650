package request

import (
	"strconv"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
)

// remotePolicyState is the source policy files are read from when the
// build context is remote, as buildx's resolveRemotePolicyContextState: a
// remote definition's folder, else the Git checkout or the unpacked HTTP
// archive the context URL names; nil for a plain HTTP file.
func remotePolicyState(r *Request, ctxState *llb.State) *llb.State {
	if ctxState != nil {
		return ctxState
	}
	url := r.Attrs["context"]
	if url == "" {
		return nil
	}
	keepGitDir := false
	advice, _ := strconv.ParseBool(r.Attrs["build-arg:BUILDKIT_GIT_ADVICE"])
	if st, ok, _ := dockerui.DetectGitContext(url, &keepGitDir, llb.GitAdvice(advice)); ok {
		return st
	}
	st, filename, ok := dockerui.DetectHTTPContext(url)
	if !ok || filename == "" {
		return nil
	}
	unpacked := llb.Scratch().File(llb.Copy(*st, filename, "/", &llb.CopyInfo{AttemptUnpack: true}))
	return &unpacked
}
