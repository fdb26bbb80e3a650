package bake

import (
	"errors"
	"testing"
)

// Errors about names that resolve to no target point at the element the
// user wrote, with the target or group that wrote it, and keep buildx's
// message ("failed to find target X") inside.
func TestUnknownTargetPositions(t *testing.T) {
	const hclSrc = `group "default" {
  targets = ["base",
    "missing"]
}
target "base" {}
target "a" {
  inherits = ["base", "bsae"]
}
target "c" {
  contexts = {
    b = "target:nope"
  }
}
target "m" {
  matrix = { v = ["x"] }
  name = "m-${v}"
  inherits = ["base", "b-${v}"]
}
`
	const jsonSrc = `{"target": {"j": {"inherits": ["base", "zz"]}}}`
	cases := []struct {
		file, src string
		targets   []string
		want      string
	}{
		{"docker-bake.hcl", hclSrc, []string{"a"}, `docker-bake.hcl:7:23: failed to find target bsae, inherited by target "a"`},
		{"docker-bake.hcl", hclSrc, nil, `docker-bake.hcl:3:5: failed to find target missing, in group "default"`},
		{"docker-bake.hcl", hclSrc, []string{"c"}, `docker-bake.hcl:11:9: failed to find target nope, in context "b" of target "c"`},
		// a computed element: the whole inherits value
		{"docker-bake.hcl", hclSrc, []string{"m-x"}, `docker-bake.hcl:17:14: failed to find target b-x, inherited by target "m-x"`},
		{"docker-bake.json", jsonSrc, []string{"j"}, `docker-bake.json:1:40: failed to find target zz, inherited by target "j"`},
		// requested by the user on the command line: buildx's message as is
		{"docker-bake.hcl", hclSrc, []string{"nothere"}, `failed to find target nothere`},
	}
	for _, tc := range cases {
		files := []File{{Name: "base.hcl", Data: []byte(`target "base" {}`)}, {Name: tc.file, Data: []byte(tc.src)}}
		c, _, err := ParseFiles(files, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ResolvePlan(tc.targets, nil, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %v:\n got %v\nwant %s", tc.file, tc.targets, err, tc.want)
		}
		var pe *PositionError
		if errors.As(err, &pe) != (tc.targets == nil || tc.targets[0] != "nothere") {
			t.Errorf("%s %v: PositionError %v for %v", tc.file, tc.targets, pe != nil, err)
		}
	}
}
