package request

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTranslateContextThatIsAFile(t *testing.T) {
	dir := workdir(t)
	os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644)
	for ctx, want := range map[string]string{
		"file":    `unable to prepare context: context must be a directory: ` + filepath.Join(dir, "file"),
		"missing": `unable to prepare context: path "missing" not found`,
	} {
		_, err := Translate("t", target(t, `{"context":"`+ctx+`"}`), Options{Dir: dir})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("context %s: error %v, want %q", ctx, err, want)
		}
	}
}
