package bake

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// MarshalJSON escapes `${` and `%{` in the string values that buildx escapes,
// so that printed definitions can be read back as bake files unchanged.
func (t *Target) MarshalJSON() ([]byte, error) {
	tgt := *t
	tgt.Annotations = slices.Clone(t.Annotations)
	for i, v := range tgt.Annotations {
		tgt.Annotations[i] = escapeTemplate(v)
	}
	if tgt.DockerfileInline != nil {
		escaped := escapeTemplate(*tgt.DockerfileInline)
		tgt.DockerfileInline = &escaped
	}
	tgt.Labels = escapeValues(t.Labels)
	tgt.Args = escapeValues(t.Args)
	tgt.ExtraHosts = escapeValues(t.ExtraHosts)
	return json.Marshal(tgt)
}

func escapeTemplate(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "${", "$${"), "%{", "%%{")
}

func escapeValues(m map[string]*string) map[string]*string {
	out := maps.Clone(m)
	for k, v := range m {
		if v != nil {
			escaped := escapeTemplate(*v)
			out[k] = &escaped
		}
	}
	return out
}
