package main

// Finding packages in a root filesystem. Everything is read through an
// os.Root, so nothing outside the scanned filesystem is read; the package
// databases' paths are resolved first as the image sees them (inRoot), since
// os.Root refuses absolute symlinks, which images have (/lib -> /usr/lib).

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime/debug"
	"sort"
	"strings"
)

// pkg is one package found.
type pkg struct {
	kind    string // "deb", "apk", "golang"
	name    string
	version string
	arch    string // as the package database says (in the purl)
	purl    string
}

// file is a file packages were found in (a package database, a binary),
// with its checksums (SPDX 2.3 requires SHA-1 for files) and the indexes of
// those packages in findings.packages.
type file struct {
	path         string // with a leading slash
	sha1, sha256 string
	packages     []int
}

type findings struct {
	packages []pkg
	files    []file
}

// scan finds the packages under dir.
func scan(dir string) (*findings, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var f findings
	for _, p := range []string{"var/lib/dpkg/status", "lib/apk/db/installed"} {
		b, err := readInRoot(root, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(p, "var/lib/dpkg") {
			f.add("/"+p, b, dpkgPackages(b))
		} else {
			f.add("/"+p, b, apkPackages(b))
		}
	}
	// Distroless images keep one status file per package instead.
	statusD, err := inRoot(root, "var/lib/dpkg/status.d")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		entries, err := fs.ReadDir(root.FS(), statusD)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			p := path.Join(statusD, e.Name())
			if !e.Type().IsRegular() || strings.HasSuffix(p, ".md5sums") {
				continue
			}
			b, err := root.ReadFile(p)
			if err != nil {
				return nil, err
			}
			f.add("/"+p, b, dpkgPackages(b))
		}
	}
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (p == "proc" || p == "sys" || p == "dev") {
			return fs.SkipDir
		}
		// WalkDir does not follow symlinks: each binary is seen once, by
		// its own path.
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Mode().Perm()&0o111 == 0 || info.Size() < 1024 {
			return err
		}
		pkgs, b, err := goBinary(root, p)
		if err != nil || len(pkgs) == 0 {
			return err
		}
		f.add("/"+p, b, pkgs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// readInRoot reads p (slash-separated, relative to the root) as the image
// would: symlinks followed, absolute ones from the image's root.
func readInRoot(root *os.Root, p string) ([]byte, error) {
	r, err := inRoot(root, p)
	if err != nil {
		return nil, err
	}
	return root.ReadFile(r)
}

// inRoot resolves the symlinks in p as a chroot at root would, returning a
// path without symlinks, relative to the root. Reads stay inside the root:
// ".." stops at it and each step goes through os.Root.
func inRoot(root *os.Root, p string) (string, error) {
	todo := strings.Split(path.Clean("/"+p), "/")[1:]
	var done []string
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := path.Join(append(done, c)...)
		fi, err := root.Lstat(cur)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, c)
			continue
		}
		if hops++; hops > 40 {
			return "", &fs.PathError{Op: "resolve", Path: p, Err: errors.New("too many levels of symbolic links")}
		}
		target, err := root.Readlink(cur)
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			done = nil
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return path.Join(done...), nil
}

func (f *findings) add(p string, content []byte, pkgs []pkg) {
	if len(pkgs) == 0 {
		return
	}
	s1, s256 := sha1.Sum(content), sha256.Sum256(content)
	fl := file{path: p, sha1: hex.EncodeToString(s1[:]), sha256: hex.EncodeToString(s256[:])}
	for _, pk := range pkgs {
		fl.packages = append(fl.packages, len(f.packages))
		f.packages = append(f.packages, pk)
	}
	f.files = append(f.files, fl)
}

// dpkgPackages reads dpkg's status file format: RFC 822-like paragraphs
// separated by blank lines. Only installed packages count: a removed one
// whose configuration files are kept ("deinstall ok config-files") is not
// in the image.
func dpkgPackages(b []byte) []pkg {
	var out []pkg
	for _, para := range paragraphs(b, ": ") {
		if para["Package"] == "" || !strings.HasSuffix(para["Status"], " installed") {
			continue
		}
		p := pkg{kind: "deb", name: para["Package"], version: para["Version"], arch: para["Architecture"]}
		p.purl = "pkg:deb/debian/" + p.name + "@" + p.version + "?arch=" + p.arch
		out = append(out, p)
	}
	return out
}

// apkPackages reads apk's installed database: paragraphs of one-letter
// fields ("P:name", "V:version", "A:arch").
func apkPackages(b []byte) []pkg {
	var out []pkg
	for _, para := range paragraphs(b, ":") {
		if para["P"] == "" {
			continue
		}
		p := pkg{kind: "apk", name: para["P"], version: para["V"], arch: para["A"]}
		p.purl = "pkg:apk/alpine/" + p.name + "@" + p.version + "?arch=" + p.arch
		out = append(out, p)
	}
	return out
}

// paragraphs splits blank-line separated "Key<sep>value" records; dpkg's
// continuation lines (starting with a space) are skipped: no field read
// here spans lines.
func paragraphs(b []byte, sep string) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = map[string]string{}
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if k, v, ok := strings.Cut(line, sep); ok {
			cur[k] = strings.TrimSpace(v)
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// goBinary returns the packages a Go binary was built from: its main module,
// each dependency (replacements as they were linked) and the standard
// library at the Go version that built it. A file that is not a Go binary
// gives none. The content is returned for the file's checksums.
func goBinary(root *os.Root, p string) ([]pkg, []byte, error) {
	fh, err := root.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	var magic [4]byte
	if _, err := io.ReadFull(fh, magic[:]); err != nil || string(magic[:]) != "\x7fELF" {
		return nil, nil, nil
	}
	bi, err := buildinfo.Read(fh)
	if err != nil {
		return nil, nil, nil // an ELF file, but not a Go binary
	}
	mod := func(m *debug.Module) pkg {
		for m.Replace != nil {
			m = m.Replace
		}
		p := pkg{kind: "golang", name: m.Path, version: m.Version}
		p.purl = "pkg:golang/" + m.Path
		if m.Version != "" && m.Version != "(devel)" {
			p.purl += "@" + m.Version
		}
		return p
	}
	var out []pkg
	if bi.Main.Path != "" {
		out = append(out, mod(&bi.Main))
	}
	deps := append([]*debug.Module(nil), bi.Deps...)
	sort.Slice(deps, func(i, j int) bool { return deps[i].Path < deps[j].Path })
	for _, d := range deps {
		out = append(out, mod(d))
	}
	out = append(out, pkg{kind: "golang", name: "stdlib", version: bi.GoVersion,
		purl: "pkg:golang/stdlib@" + strings.TrimPrefix(bi.GoVersion, "go")})
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(fh)
	return out, b, err
}
