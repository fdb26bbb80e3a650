package hclspec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// bigHCL is a file of n target blocks, with extra text after block i when
// extra(i) returns some.
func bigHCL(n int, extra func(i int) string) []byte {
	var b strings.Builder
	b.WriteString("variable \"V\" {\n  default = \"1\"\n}\n")
	for i := range n {
		fmt.Fprintf(&b, "target \"t%d\" {\n  tags = [\"r/t%d:${V}\"]\n  args = {\n    I = \"%d\"\n  }\n}\n", i, i, i)
		if i%2 == 0 {
			b.WriteString("\n")
		}
		if extra != nil {
			b.WriteString(extra(i))
		}
	}
	return []byte(b.String())
}

// Parsing in pieces gives what hclsyntax.ParseConfig gives: the same body,
// ranges and diagnostics, including when a "}" line sits inside a heredoc or
// a comment, or when the file has errors.
func TestParseHCLPiecesIsParseConfig(t *testing.T) {
	tricky := func(i int) string {
		switch i % 500 {
		case 7:
			return "target \"h" + fmt.Sprint(i) + "\" {\n  dockerfile-inline = <<EOT\nFROM x\n}\ntarget \"fake\" {\n}\nEOT\n}\n"
		case 99:
			return "/*\n}\ntarget \"c\" {\n}\n*/\n"
		case 250:
			return "x" + fmt.Sprint(i) + " = {\n  a = 1\n}\n"
		}
		return ""
	}
	cases := map[string][]byte{
		"plain":  bigHCL(3000, nil),
		"tricky": bigHCL(3000, tricky),
		"duplicate attribute": bigHCL(3000, func(i int) string {
			if i == 10 || i == 2900 {
				return "same = {\n  a = 1\n}\n"
			}
			return ""
		}),
		"error late": bigHCL(3000, func(i int) string {
			if i == 2900 {
				return "target \"broken\" {\n  tags = [\n}\n"
			}
			return ""
		}),
		"small": bigHCL(3, nil),
	}
	for name, data := range cases {
		want, wantDiags := hclsyntax.ParseConfig(data, "docker-bake.hcl", hcl.InitialPos)
		for _, n := range []int{2, 3, 5, 40, 1000} {
			if name != "small" && len(topLevelCuts(data, n)) == 0 {
				t.Fatalf("%s: no cuts in %d bytes", name, len(data))
			}
			got, gotDiags := parseHCLPieces(data, "docker-bake.hcl", n)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %d pieces: file differs from hclsyntax.ParseConfig's", name, n)
			}
			if fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
				t.Errorf("%s, %d pieces: diagnostics %v, want %v", name, n, gotDiags, wantDiags)
			}
		}
	}
}
