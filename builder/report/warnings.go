package report

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/pb"
	"google.golang.org/protobuf/proto"
)

// MetadataWarningsEnabled is buildx's confutil.MetadataWarningsEnabled:
// BUILDX_METADATA_WARNINGS, a boolean, false by default.
func MetadataWarningsEnabled(lookupEnv func(string) (string, bool)) bool {
	v, _ := lookupEnv("BUILDX_METADATA_WARNINGS")
	ok, err := strconv.ParseBool(v)
	return err == nil && ok
}

// dedupWarnings drops warnings equal to an earlier one, as buildx's
// progress printer does before they reach the metadata file.
func dedupWarnings(in []client.VertexWarning) []client.VertexWarning {
	out := make([]client.VertexWarning, 0, len(in))
	for _, w := range in {
		if !slices.ContainsFunc(out, func(p client.VertexWarning) bool { return equalWarnings(p, w) }) {
			out = append(out, w)
		}
	}
	return out
}

// equalWarnings ignores the vertex and source definition, which differ
// between otherwise identical warnings from separate builds.
func equalWarnings(a, b client.VertexWarning) bool {
	if a.Level != b.Level || a.URL != b.URL || !bytes.Equal(a.Short, b.Short) ||
		!slices.EqualFunc(a.Detail, b.Detail, bytes.Equal) {
		return false
	}
	if (a.SourceInfo == nil) != (b.SourceInfo == nil) {
		return false
	}
	if a.SourceInfo != nil && (a.SourceInfo.Filename != b.SourceInfo.Filename ||
		a.SourceInfo.Language != b.SourceInfo.Language || !bytes.Equal(a.SourceInfo.Data, b.SourceInfo.Data)) {
		return false
	}
	return slices.EqualFunc(a.Range, b.Range, func(a, b *pb.Range) bool { return proto.Equal(a, b) })
}
