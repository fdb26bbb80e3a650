package bake

import (
	"testing"

	"github.com/docker/buildx/util/buildflags"
)

func exportsString(e []*buildflags.ExportEntry) string {
	s := ""
	for _, x := range e {
		s += x.String() + ";"
	}
	return s
}

func TestPushLoadOverrides(t *testing.T) {
	parse := func(s ...string) []*buildflags.ExportEntry {
		out, err := parseArrValue[buildflags.ExportEntry](s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name string
		in   []*buildflags.ExportEntry
		op   func([]*buildflags.ExportEntry) []*buildflags.ExportEntry
		want string
	}{
		{"push adds image", nil, func(e []*buildflags.ExportEntry) []*buildflags.ExportEntry { return setPushOverride(e, true) }, "type=image,push=true;"},
		{"push keeps docker", parse("type=docker"), func(e []*buildflags.ExportEntry) []*buildflags.ExportEntry { return setPushOverride(e, true) }, "type=docker;type=image,push=true;"},
		{"push sets image attr", parse("type=image,name=x"), func(e []*buildflags.ExportEntry) []*buildflags.ExportEntry { return setPushOverride(e, true) }, "type=image,name=x,push=true;"},
		{"no push drops registry", parse("type=registry", "type=image,name=x"), func(e []*buildflags.ExportEntry) []*buildflags.ExportEntry { return setPushOverride(e, false) }, "type=image,name=x,push=false;"},
		{"load adds docker", parse("type=image,name=x"), func(e []*buildflags.ExportEntry) []*buildflags.ExportEntry { return setLoadOverride(e, true) }, "type=image,name=x;type=docker;"},
		{"load keeps local alone", parse("type=local,dest=out"), func(e []*buildflags.ExportEntry) []*buildflags.ExportEntry { return setLoadOverride(e, true) }, "type=local,dest=out;"},
		{"load reuses docker", parse("type=docker"), func(e []*buildflags.ExportEntry) []*buildflags.ExportEntry { return setLoadOverride(e, true) }, "type=docker;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exportsString(tt.op(tt.in)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPrepareOutputsStdout(t *testing.T) {
	out, _ := parseArrValue[buildflags.ExportEntry]([]string{"type=tar", "type=docker"})
	if err := prepareOutputs(out, false); err != nil {
		t.Fatal(err)
	}
	if out[0].Destination != "-" || out[1].Destination != "" {
		t.Errorf("tar should go to stdout and docker stay without dest: %s", exportsString(out))
	}
	two, _ := parseArrValue[buildflags.ExportEntry]([]string{"type=tar", "type=oci"})
	if err := prepareOutputs(two, false); err == nil || err.Error() != "multiple outputs configured to write to stdout" {
		t.Errorf("error = %v", err)
	}
	tty, _ := parseArrValue[buildflags.ExportEntry]([]string{"type=tar"})
	if err := prepareOutputs(tty, true); err == nil {
		t.Error("tar to a terminal accepted")
	}
}
