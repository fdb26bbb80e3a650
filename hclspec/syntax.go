package hclspec

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// minPiece is the least number of bytes worth parsing on a goroutine of its
// own: smaller files are parsed whole.
const minPiece = 64 << 10

// piece is the size of the pieces a large file is cut into (at top-level
// blocks): HCL's lexer grows its token slice by append, which past a few
// thousand tokens copies (and zeroes) about five times the final slice in
// total; pieces of a few hundred blocks keep that to about three times, and
// free each piece's tokens as soon as it is parsed.
const piece = 8 << 10

// parseHCL returns what hclsyntax.ParseConfig returns for data, parsing a
// large file in pieces on GOMAXPROCS goroutines: HCL's parser is a large
// share of evaluating a bake file of thousands of targets.
//
// A file is cut only before a line that follows a line holding just "}"
// (and blank lines).
// A piece that parses without any diagnostic ends at the top level (an open
// block, bracket, string, heredoc or comment is an error at its end), so the
// next piece starts where the whole-file parser would start a new body item,
// and joining the pieces' bodies gives the same body. When any piece has a
// diagnostic, or pieces set the same attribute, the whole file is parsed
// again so that diagnostics are exactly HCL's.
func parseHCL(data []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	return parseHCLPieces(data, filename, len(data)/piece)
}

// parseHCLPieces is parseHCL in at most n pieces, parsed on GOMAXPROCS
// goroutines.
func parseHCLPieces(data []byte, filename string, n int) (*hcl.File, hcl.Diagnostics) {
	cuts := topLevelCuts(data, n)
	if len(cuts) == 0 {
		return hclsyntax.ParseConfig(data, filename, hcl.InitialPos)
	}
	bounds := append(append([]int{0}, cuts...), len(data))
	files := make([]*hcl.File, len(bounds)-1)
	diags := make([]hcl.Diagnostics, len(bounds)-1)
	starts := make([]hcl.Pos, len(files))
	line := 1
	for i := range files {
		if i > 0 {
			line += bytes.Count(data[bounds[i-1]:bounds[i]], []byte("\n"))
		}
		starts[i] = hcl.Pos{Line: line, Column: 1, Byte: bounds[i]}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				files[i], diags[i] = hclsyntax.ParseConfig(data[bounds[i]:bounds[i+1]], filename, starts[i])
			}
		})
	}
	wg.Wait()
	if f, ok := joinPieces(files, diags); ok {
		f.Bytes = data
		return f, nil
	}
	return hclsyntax.ParseConfig(data, filename, hcl.InitialPos)
}

// joinPieces appends the bodies of files[1:] to the body of files[0].
func joinPieces(files []*hcl.File, diags []hcl.Diagnostics) (*hcl.File, bool) {
	for _, d := range diags {
		if len(d) > 0 {
			return nil, false
		}
	}
	body, ok := files[0].Body.(*hclsyntax.Body)
	if !ok {
		return nil, false
	}
	for _, f := range files[1:] {
		b, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			return nil, false
		}
		for name, attr := range b.Attributes {
			if _, dup := body.Attributes[name]; dup {
				return nil, false
			}
			body.Attributes[name] = attr
		}
		body.Blocks = append(body.Blocks, b.Blocks...)
		body.SrcRange = hcl.RangeBetween(body.SrcRange, b.SrcRange)
		body.EndRange = b.EndRange
	}
	return files[0], true
}

// topLevelCuts proposes up to n-1 offsets splitting data into pieces of at
// least piece bytes, each offset the start of a line that begins with a
// letter and follows a line holding just "}" (and blank lines); none for a
// file smaller than 2*minPiece.
func topLevelCuts(data []byte, n int) []int {
	if n < 2 || len(data) < 2*minPiece {
		return nil
	}
	n = min(n, len(data)/piece)
	var cuts []int
	for k := 1; k < n; k++ {
		from := k * len(data) / n
		if len(cuts) > 0 && from < cuts[len(cuts)-1]+piece {
			from = cuts[len(cuts)-1] + piece
		}
		at := nextCut(data, from)
		if at < 0 || len(data)-at < piece {
			break
		}
		cuts = append(cuts, at)
	}
	return cuts
}

// nextCut returns the first offset at or after from that starts a line
// beginning with a letter right after a line "}" and blank lines, or -1.
func nextCut(data []byte, from int) int {
	for i := from; i < len(data); {
		j := bytes.Index(data[i:], []byte("\n}\n"))
		if j < 0 {
			return -1
		}
		at := i + j + 3
		for at < len(data) && data[at] == '\n' {
			at++
		}
		if at < len(data) && isLetter(data[at]) {
			return at
		}
		i = i + j + 1
	}
	return -1
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
