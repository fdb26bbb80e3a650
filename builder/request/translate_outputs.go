package request

import (
	"fmt"
	"maps"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/buildx/util/buildflags"
	"github.com/moby/buildkit/client"
)

// translateOutputs maps `output` entries to exporters, as buildx's
// build.CreateExports and toSolveOpt do: registry becomes a pushing image
// exporter, tags name image/oci/docker outputs, annotations go on every
// exporter, and cacheonly means "no exporter, on purpose".
func translateOutputs(r *Request, t *Target, o Options) error {
	if r.Call != nil {
		return nil // a subrequest (--call) returns metadata, not an image
	}
	var tags []string
	for _, tag := range t.Tags {
		ref, err := reference.Parse(tag) // bake's CheckBuild refused invalid tags
		if err != nil {
			return err
		}
		tags = append(tags, ref.String())
	}
	annotations, err := buildflags.ParseAnnotations(t.Annotations)
	if err != nil {
		return err
	}
	r.NoOutput = len(t.Outputs) == 0
	for _, e := range t.Outputs {
		if e == nil {
			continue
		}
		x, err := translateExport(e)
		if err != nil {
			return err
		}
		if x == nil { // cacheonly
			continue
		}
		if x.Dir != "" {
			x.Dir = o.abs(x.Dir)
		}
		if x.File != "" && x.File != "-" {
			x.File = o.abs(x.File)
		}
		switch x.Type {
		case client.ExporterImage, client.ExporterOCI, client.ExporterDocker:
			if len(tags) > 0 {
				x.Attrs["name"] = strings.Join(tags, ",")
			}
		}
		for k, v := range annotations {
			x.Attrs[k.String()] = v
		}
		r.Exports = append(r.Exports, *x)
	}
	return nil
}

// translateExport maps one output entry; nil means cacheonly. bake refused
// entries without a type, two stdout outputs in a target and pushes without
// a name; the dest check below stays: a directory output without one would
// be swapped in place of the working directory.
func translateExport(e *buildflags.ExportEntry) (*Export, error) {
	x := &Export{Type: e.Type, Attrs: maps.Clone(e.Attrs)}
	if x.Attrs == nil {
		x.Attrs = map[string]string{}
	}
	dir, file := false, false
	switch e.Type {
	case "cacheonly":
		return nil, nil
	case client.ExporterLocal:
		dir = true
	case client.ExporterTar:
		file = true
	case client.ExporterOCI, client.ExporterDocker:
		tar := true
		if v, ok := x.Attrs["tar"]; ok {
			tar = isTrue(v)
		}
		file, dir = tar, !tar
	case "registry":
		x.Type = client.ExporterImage
		x.Attrs["push"] = "true"
		if _, ok := x.Attrs["unpack"]; !ok {
			x.Attrs["unpack"] = "false"
		}
	case client.ExporterImage:
	default:
		return nil, fmt.Errorf("unsupported output type %q", e.Type)
	}
	switch {
	case dir:
		if e.Destination == "" || e.Destination == "-" {
			return nil, fmt.Errorf("dest is required for %s exporter", x.Type)
		}
		x.Dir = e.Destination
	case file && e.Destination == "" && x.Type == client.ExporterDocker:
		x.Load = true // no dest: load into a Docker engine
	case file && e.Destination == "":
		x.File = "-"
	case file:
		x.File = e.Destination
	}
	return x, nil
}
