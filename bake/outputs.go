package bake

import "github.com/docker/buildx/util/buildflags"

// setPushOverride implements `--push` / `*.push=BOOL`: true makes image
// outputs push (adding one when there is only docker or no output); false
// drops registry outputs and turns push off on image ones.
func setPushOverride(outputs []*buildflags.ExportEntry, push bool) []*buildflags.ExportEntry {
	if !push {
		for i := 0; i < len(outputs); {
			output := outputs[i]
			switch output.Type {
			case "registry":
				outputs[i], outputs[len(outputs)-1] = outputs[len(outputs)-1], outputs[i]
				outputs = outputs[:len(outputs)-1]
				continue
			case "image":
				setAttr(output, "push", "false")
			}
			i++
		}
		return outputs
	}
	setPush := true
	for _, output := range outputs {
		if output.Type != "docker" {
			setPush = false
		}
		if output.Type == "image" {
			setAttr(output, "push", "true")
		}
	}
	if setPush {
		outputs = append(outputs, &buildflags.ExportEntry{
			Type:  "image",
			Attrs: map[string]string{"push": "true"},
		})
	}
	return outputs
}

// setLoadOverride implements `--load` / `*.load=true`: adds a docker output
// unless one without dest exists or an output other than image, registry or
// oci is set.
func setLoadOverride(outputs []*buildflags.ExportEntry, load bool) []*buildflags.ExportEntry {
	if !load {
		return outputs
	}
	for _, output := range outputs {
		switch output.Type {
		case "docker":
			if output.Destination == "" {
				return outputs
			}
		case "image", "registry", "oci":
		default:
			return outputs
		}
	}
	return append(outputs, &buildflags.ExportEntry{Type: "docker"})
}

func setAttr(e *buildflags.ExportEntry, k, v string) {
	if e.Attrs == nil {
		e.Attrs = map[string]string{}
	}
	e.Attrs[k] = v
}
