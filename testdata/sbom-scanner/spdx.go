package main

// The SPDX 2.3 document for one scanned filesystem, in tools-golang's types
// (the library BuildKit itself reads and rewrites SBOMs with, so what it
// cannot decode is caught here, not in the exporter's silent fallback).

import (
	"fmt"
	"strings"
	"time"

	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
)

const noAssertion = "NOASSERTION"

// document describes name's packages; each package is "evident by" the file
// it was found in, as syft writes it (relationship OTHER with that comment),
// and the files are listed so BuildKit can add the layer each came from.
func document(name string, f *findings, created time.Time) *spdx.Document {
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      name,
		DocumentNamespace: fmt.Sprintf("https://kiln.invalid/sbom-scanner/%s-%d", name, created.UnixNano()),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "kiln-sbom-scanner"}},
			Created:  created.Format(time.RFC3339),
		},
	}
	ids := make([]common.ElementID, len(f.packages))
	for i, p := range f.packages {
		ids[i] = common.ElementID(fmt.Sprintf("Package-%s-%s-%d", p.kind, sanitize(p.name), i))
		doc.Packages = append(doc.Packages, &spdx.Package{
			PackageName:               p.name,
			PackageSPDXIdentifier:     ids[i],
			PackageVersion:            p.version,
			PackageDownloadLocation:   noAssertion,
			FilesAnalyzed:             false,
			IsFilesAnalyzedTagPresent: true,
			PackageLicenseConcluded:   noAssertion,
			PackageLicenseDeclared:    noAssertion,
			PackageCopyrightText:      noAssertion,
			PackageExternalReferences: []*spdx.PackageExternalReference{{
				Category: "PACKAGE-MANAGER",
				RefType:  "purl",
				Locator:  p.purl,
			}},
		})
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", "DOCUMENT"),
			RefB:         common.MakeDocElementID("", string(ids[i])),
			Relationship: "DESCRIBES",
		})
	}
	for i, fl := range f.files {
		id := common.ElementID(fmt.Sprintf("File-%s-%d", sanitize(fl.path), i))
		doc.Files = append(doc.Files, &spdx.File{
			FileName:           fl.path,
			FileSPDXIdentifier: id,
			Checksums: []common.Checksum{
				{Algorithm: common.SHA1, Value: fl.sha1},
				{Algorithm: common.SHA256, Value: fl.sha256},
			},
			LicenseConcluded:  noAssertion,
			FileCopyrightText: noAssertion,
		})
		for _, pi := range fl.packages {
			doc.Relationships = append(doc.Relationships, &spdx.Relationship{
				RefA:                common.MakeDocElementID("", string(ids[pi])),
				RefB:                common.MakeDocElementID("", string(id)),
				Relationship:        "OTHER",
				RelationshipComment: "evident-by: indicates the package's existence is evident by the given file",
			})
		}
	}
	return doc
}

// sanitize keeps what an SPDX identifier may hold: letters, digits, '.', '-'.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '-'
	}, s)
}
