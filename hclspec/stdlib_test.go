package hclspec

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// buildxStdlib is the function list of buildx v0.38.2 (bake/hclparser/stdlib.go).
var buildxStdlib = []string{
	"absolute", "add", "and", "base64decode", "base64encode", "basename",
	"bcrypt", "byteslen", "bytesslice", "can", "ceil", "chomp",
	"chunklist", "cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets", "coalesce",
	"coalescelist", "compact", "concat", "contains", "convert", "csvdecode",
	"dirname", "distinct", "divide", "element", "equal", "flatten",
	"floor", "format", "formatdate", "formattimestamp", "formatlist", "greaterthan",
	"greaterthanorequalto", "hasindex", "homedir", "indent", "index", "indexof",
	"int", "join", "jsondecode", "jsonencode", "keys", "length",
	"lessthan", "lessthanorequalto", "log", "lookup", "lower", "max",
	"md5", "merge", "min", "modulo", "multiply", "negate",
	"not", "notequal", "or", "parseint", "pow", "range",
	"regex_replace", "regex", "regexall", "replace", "reverse", "reverselist",
	"rsadecrypt", "sanitize", "semvercmp", "sethaselement", "setintersection", "setproduct",
	"setsubtract", "setsymmetricdifference", "setunion", "sha1", "sha256", "sha512",
	"signum", "slice", "sort", "split", "strlen", "substr",
	"subtract", "timeadd", "timestamp", "title", "trim", "trimprefix",
	"trimspace", "trimsuffix", "try", "unixtimestampparse", "upper", "urlencode",
	"uuidv4", "uuidv5", "values", "zipmap",
}

func TestStdlibNames(t *testing.T) {
	var got []string
	for name := range Stdlib() {
		got = append(got, name)
	}
	slices.Sort(got)
	want := slices.Clone(buildxStdlib)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("stdlib names differ:\n got %v\nwant %v", got, want)
	}
	if len(got) != 106 {
		t.Fatalf("got %d functions, want 106", len(got))
	}
}

// TestStdlibValues checks each expression against the value buildx v0.38.2
// printed for it (as a build arg string) with `buildx bake --print`.
func TestStdlibValues(t *testing.T) {
	cases := []struct{ expr, want string }{
		{"absolute(-3)", "3"},
		{"add(1, 2)", "3"},
		{"and(true, false)", "false"},
		{"base64decode(\"aGk=\")", "hi"},
		{"base64encode(\"hi\")", "aGk="},
		{"basename(\"/a/b/c.txt\")", "c.txt"},
		{"can(nope.x)", "false"},
		{"ceil(1.2)", "2"},
		{"chomp(\"x\\n\")", "x"},
		{"jsonencode(chunklist([1,2,3], 2))", "[[1,2],[3]]"},
		{"cidrhost(\"10.0.0.0/8\", 5)", "10.0.0.5"},
		{"cidrnetmask(\"10.0.0.0/8\")", "255.0.0.0"},
		{"cidrsubnet(\"10.0.0.0/8\", 8, 2)", "10.2.0.0/16"},
		{"jsonencode(cidrsubnets(\"10.0.0.0/8\", 8, 8))", "[\"10.0.0.0/16\",\"10.1.0.0/16\"]"},
		{"coalesce(\"\", \"b\")", ""},
		{"jsonencode(coalescelist([], [\"x\"]))", "[\"x\"]"},
		{"jsonencode(compact([\"a\", \"\", \"b\"]))", "[\"a\",\"b\"]"},
		{"jsonencode(concat([\"a\"], [\"b\"]))", "[\"a\",\"b\"]"},
		{"contains([\"a\"], \"a\")", "true"},
		{"convert(\"1\", number) + 1", "2"},
		{"jsonencode(csvdecode(\"a,b\\n1,2\"))", "[{\"a\":\"1\",\"b\":\"2\"}]"},
		{"dirname(\"/a/b/c\")", "/a/b"},
		{"jsonencode(distinct([\"a\",\"a\",\"b\"]))", "[\"a\",\"b\"]"},
		{"divide(6, 4)", "1.5"},
		{"element([\"a\",\"b\"], 3)", "b"},
		{"equal(1, 1)", "true"},
		{"jsonencode(flatten([[\"a\"], [\"b\", [\"c\"]]]))", "[\"a\",\"b\",\"c\"]"},
		{"floor(1.7)", "1"},
		{"format(\"%s-%03d\", \"x\", 7)", "x-007"},
		{"formatdate(\"YYYY-MM-DD\", \"2024-02-03T04:05:06Z\")", "2024-02-03"},
		{"formattimestamp(\"X\", \"2024-02-03T04:05:06Z\")", "1706933106"},
		{"formattimestamp(\"YYYY\", 86400)", "1970"},
		{"jsonencode(formatlist(\"%s!\", [\"a\", \"b\"]))", "[\"a!\",\"b!\"]"},
		{"greaterthan(2, 1)", "true"},
		{"greaterthanorequalto(1, 1)", "true"},
		{"hasindex([\"a\"], 0)", "true"},
		{"indent(2, \"a\\nb\")", "a\n  b"},
		{"index([\"a\",\"b\"], 1)", "b"},
		{"indexof([\"a\",\"b\"], \"b\")", "1"},
		{"int(2.9)", "2"},
		{"join(\"-\", [\"a\",\"b\"])", "a-b"},
		{"jsondecode(\"{\\\"a\\\":1}\").a", "1"},
		{"jsonencode({a = [1, \"x\"]})", "{\"a\":[1,\"x\"]}"},
		{"jsonencode(keys({b = 1, a = 2}))", "[\"a\",\"b\"]"},
		{"length([1,2,3])", "3"},
		{"lessthan(1, 2)", "true"},
		{"lessthanorequalto(2, 2)", "true"},
		{"log(8, 2)", "3"},
		{"lookup({a = \"x\"}, \"b\", \"dflt\")", "dflt"},
		{"lower(\"ABC\")", "abc"},
		{"max(1, 5, 3)", "5"},
		{"md5(\"x\")", "9dd4e461268c8034f5c8564e155c67a6"},
		{"jsonencode(merge({a = 1}, {b = 2}))", "{\"a\":1,\"b\":2}"},
		{"min(4, 2)", "2"},
		{"modulo(7, 3)", "1"},
		{"multiply(3, 4)", "12"},
		{"negate(5)", "-5"},
		{"not(true)", "false"},
		{"notequal(1, 2)", "true"},
		{"or(false, true)", "true"},
		{"parseint(\"ff\", 16)", "255"},
		{"pow(2, 10)", "1024"},
		{"jsonencode(range(3))", "[0,1,2]"},
		{"regex_replace(\"a1b2\", \"[0-9]\", \"_\")", "a_b_"},
		{"regex(\"[a-z]+\", \"123abc456\")", "abc"},
		{"jsonencode(regexall(\"[0-9]\", \"a1b2\"))", "[\"1\",\"2\"]"},
		{"replace(\"a.b.c\", \".\", \"-\")", "a-b-c"},
		{"reverse(\"abc\")", "cba"},
		{"jsonencode(reverselist([1, 2]))", "[2,1]"},
		{"sanitize(\"a.b/c d\")", "a_b_c_d"},
		{"semvercmp(\"1.2.3\", \">= 1.0, < 2\")", "true"},
		{"sethaselement([\"a\"], \"a\")", "true"},
		{"jsonencode(setintersection([\"a\",\"b\"], [\"b\"]))", "[\"b\"]"},
		{"jsonencode(setproduct([\"a\"], [\"x\",\"y\"]))", "[[\"a\",\"x\"],[\"a\",\"y\"]]"},
		{"jsonencode(setsubtract([\"a\",\"b\"], [\"a\"]))", "[\"b\"]"},
		{"jsonencode(setsymmetricdifference([\"a\",\"b\"], [\"b\",\"c\"]))", "[\"a\",\"c\"]"},
		{"jsonencode(setunion([\"a\"], [\"b\"]))", "[\"a\",\"b\"]"},
		{"sha1(\"x\")", "11f6ad8ec52a2984abaafd7c3b516503785c2072"},
		{"sha256(\"x\")", "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"},
		{"sha512(\"x\")", "a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62"},
		{"signum(-4)", "-1"},
		{"jsonencode(slice([\"a\",\"b\",\"c\"], 1, 3))", "[\"b\",\"c\"]"},
		{"jsonencode(sort([\"b\",\"a\"]))", "[\"a\",\"b\"]"},
		{"jsonencode(split(\",\", \"a,b\"))", "[\"a\",\"b\"]"},
		{"strlen(\"abc\")", "3"},
		{"substr(\"hello\", 1, 3)", "ell"},
		{"subtract(5, 2)", "3"},
		{"timeadd(\"2024-01-01T00:00:00Z\", \"1h\")", "2024-01-01T01:00:00Z"},
		{"title(\"hello world\")", "Hello World"},
		{"trim(\"xxhixx\", \"x\")", "hi"},
		{"trimprefix(\"prefix-x\", \"prefix-\")", "x"},
		{"trimspace(\"  x  \")", "x"},
		{"trimsuffix(\"x.txt\", \".txt\")", "x"},
		{"try(nope, \"fallback\")", "fallback"},
		{"unixtimestampparse(1700000000).rfc3339", "2023-11-14T22:13:20Z"},
		{"upper(\"abc\")", "ABC"},
		{"urlencode(\"a b&c\")", "a+b%26c"},
		{"strlen(uuidv4())", "36"},
		{"uuidv5(\"dns\", \"example.com\")", "cfbff0d1-9375-5685-968c-48ce8b15ae17"},
		{"jsonencode(values({a = 1, b = 2}))", "[1,2]"},
		{"jsonencode(zipmap([\"a\",\"b\"], [1, 2]))", "{\"a\":1,\"b\":2}"},
	}
	ectx := &hcl.EvalContext{Functions: Stdlib()}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			expr, diags := hclsyntax.ParseExpression([]byte(tc.expr), "expr.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			v, diags := expr.Value(ectx)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			s, err := convert.Convert(v, cty.String)
			if err != nil {
				t.Fatal(err)
			}
			if s.AsString() != tc.want {
				t.Errorf("got %q, want %q", s.AsString(), tc.want)
			}
		})
	}
}

// TestStdlibNondeterministic covers the functions whose value depends on the
// machine or the clock.
func TestStdlibNondeterministic(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	ectx := &hcl.EvalContext{Functions: Stdlib()}
	eval := func(src string) string {
		t.Helper()
		expr, diags := hclsyntax.ParseExpression([]byte(src), "expr.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		v, diags := expr.Value(ectx)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return v.AsString()
	}
	if got := eval(`homedir()`); got != home {
		t.Errorf("homedir() = %q, want %q", got, home)
	}
	if ts, err := time.Parse(time.RFC3339, eval(`timestamp()`)); err != nil || time.Since(ts) > time.Hour || ts.Location() != time.UTC {
		t.Errorf("timestamp() = %v, %v", ts, err)
	}
	if u := eval(`uuidv4()`); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(u) {
		t.Errorf("uuidv4() = %q", u)
	}
	if h := eval(`bcrypt("secret", 4)`); !strings.HasPrefix(h, "$2a$04$") || len(h) != 60 {
		t.Errorf("bcrypt() = %q", h)
	}
}
