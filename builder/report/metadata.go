package report

import (
	"encoding/base64"
	"encoding/json"
	"io"

	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/solve"
)

// Metadata is what --metadata-file holds: per target, BuildKit's exporter
// response (containerimage.digest, containerimage.descriptor,
// containerimage.config.digest, image.name, ...) and buildx.build.ref,
// decoded exactly as buildx decodes it: values that are base64-encoded
// JSON objects or lists appear as JSON, the rest as strings.
func Metadata(rep *Report) map[string]any {
	out := map[string]any{}
	for _, o := range rep.Outcomes {
		if o.Status == schedule.Succeeded && o.Response != nil {
			out[o.Target] = decodeResponse(o.Response)
		}
	}
	if w := dedupWarnings(rep.Warnings); rep.MetadataWarnings && len(w) > 0 {
		out["buildx.build.warnings"] = w
	}
	return out
}

// WriteMetadata writes Metadata as buildx does (two-space indented JSON).
func WriteMetadata(w io.Writer, rep *Report) error {
	b, err := json.MarshalIndent(Metadata(rep), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteMetadataFile replaces path atomically with the metadata, as the
// outputs are written (solve.ReplaceFile).
func WriteMetadataFile(path string, rep *Report) error {
	return solve.ReplaceFile(path, 0o644, func(w io.Writer) error { return WriteMetadata(w, rep) })
}

// decodeResponse is buildx's decodeExporterResponse.
func decodeResponse(resp map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range resp {
		var dt []byte
		if k == "result.json" {
			dt = []byte(v) // subrequest results are JSON already
		} else {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				out[k] = v
				continue
			}
			dt = b
		}
		var obj map[string]any
		if err := json.Unmarshal(dt, &obj); err != nil || len(obj) == 0 {
			var list []map[string]any
			if err := json.Unmarshal(dt, &list); err != nil || len(list) == 0 {
				out[k] = v
				continue
			}
		}
		out[k] = json.RawMessage(dt)
	}
	return out
}
