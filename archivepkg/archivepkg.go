// Package archivepkg exports a file (hồ sơ) as a package, a ZIP of every
// document's PDF and attachments with XML metadata of Decree 30/2020
// Appendix VI Part II and a manifest of checksums, and imports such a
// package into a vanban, possibly empty (Appendix VI III.4.g, III.5.e).
package archivepkg

import (
	_ "embed"
	"encoding/xml"
)

// Namespace is the XML namespace of hoso.xml, metadata.xml and manifest.xml.
const Namespace = "urn:hcm-edu:vanban:hoso:1"

// FormatVersion is the version attribute of each XML root.
const FormatVersion = 1

// Names of the package's fixed entries.
const (
	FileEntry     = "hoso.xml"
	ManifestEntry = "manifest.xml"
	SchemaEntry   = "schema/vanban-hoso.xsd"
	metadataName  = "metadata.xml"
)

// Schema is the XML Schema of the package's three XML files.
//
//go:embed schema/vanban-hoso.xsd
var Schema []byte

// FileCode is Part II's Mã hồ sơ: the unit's code, the year, the file's code.
type FileCode struct {
	OrganID      string `xml:"OrganId"`
	FileCatalog  int    `xml:"FileCatalog"`
	FileNotation string `xml:"FileNotation"`
}

// Organ names a unit: the file's, or the one that issued a document.
type Organ struct {
	OrganID           string `xml:"OrganId"`
	OrganName         string `xml:"OrganName"`
	OrganAbbreviation string `xml:"OrganAbbreviation,omitempty"`
	OrganKind         string `xml:"OrganKind"`
}

// Heading is the heading of the file list a file sits under.
type Heading struct {
	Code  string `xml:"Code"`
	Title string `xml:"Title"`
}

// Item is one document of the file, in order, and where it lies.
type Item struct {
	DocOrdinal int    `xml:"DocOrdinal,attr"`
	Path       string `xml:"Path,attr"`
	AddedAt    string `xml:"AddedAt,attr"`
	Note       string `xml:"Note,attr,omitempty"`
}

// File is hoso.xml: the file's metadata (Part II, III) and its items.
type File struct {
	XMLName        xml.Name `xml:"urn:hcm-edu:vanban:hoso:1 HoSo"`
	Version        int      `xml:"version,attr"`
	FileCode       FileCode `xml:"FileCode"`
	Organ          Organ    `xml:"Organ"`
	Title          string   `xml:"Title"`
	Maintenance    string   `xml:"Maintenance"`
	RetentionYears *int     `xml:"RetentionYears,omitempty"`
	Rights         string   `xml:"Rights"`
	Creator        string   `xml:"Creator,omitempty"`
	Language       string   `xml:"Language"`
	StartDate      string   `xml:"StartDate,omitempty"`
	EndDate        string   `xml:"EndDate,omitempty"`
	DocTotal       int      `xml:"DocTotal"`
	PageTotal      *int     `xml:"PageTotal,omitempty"`
	Description    string   `xml:"Description"`
	State          string   `xml:"State"`
	Heading        *Heading `xml:"Heading,omitempty"`
	OpenedAt       string   `xml:"OpenedAt,omitempty"`
	ClosedAt       string   `xml:"ClosedAt,omitempty"`
	DueOn          string   `xml:"DueOn,omitempty"`
	HandedOverAt   string   `xml:"HandedOverAt,omitempty"`
	ExportedAt     string   `xml:"ExportedAt"`
	Items          []Item   `xml:"Items>Item"`
}

// StoredFile is one file of the package with its checksum.
type StoredFile struct {
	Path      string `xml:"Path"`
	FileName  string `xml:"FileName"`
	MediaType string `xml:"MediaType"`
	SHA256    string `xml:"SHA256"`
	Size      int64  `xml:"Size"`
}

// Signer is Part II's SignerInfo.
type Signer struct {
	Position string `xml:"Position"`
	FullName string `xml:"FullName"`
}

// VersionFile is the document's latest version.
type VersionFile struct {
	StoredFile
	VersionNo int    `xml:"VersionNo"`
	CreatedAt string `xml:"CreatedAt"`
}

// Attachment is a file beside the document's main file.
type Attachment struct {
	StoredFile
	Position int         `xml:"Position"`
	Title    string      `xml:"Title"`
	Sealed   *StoredFile `xml:"Sealed,omitempty"`
}

// Document is metadata.xml: one document's metadata (Part II, I and II).
type Document struct {
	XMLName         xml.Name     `xml:"urn:hcm-edu:vanban:hoso:1 VanBan"`
	Version         int          `xml:"version,attr"`
	FileCode        FileCode     `xml:"FileCode"`
	DocOrdinal      int          `xml:"DocOrdinal"`
	Origin          string       `xml:"Origin"`
	TypeName        string       `xml:"TypeName"`
	CodeNumber      string       `xml:"CodeNumber,omitempty"`
	CodeNotation    string       `xml:"CodeNotation,omitempty"`
	IssuedDate      string       `xml:"IssuedDate"`
	Organ           Organ        `xml:"Organ"`
	Subject         string       `xml:"Subject"`
	Language        string       `xml:"Language"`
	PageAmount      int          `xml:"PageAmount,omitempty"`
	Description     string       `xml:"Description"`
	ArrivalDate     string       `xml:"ArrivalDate,omitempty"`
	ArrivalNumber   int          `xml:"ArrivalNumber,omitempty"`
	SignerInfo      Signer       `xml:"SignerInfo"`
	Priority        int          `xml:"Priority"`
	Urgency         string       `xml:"Urgency"`
	Confidentiality string       `xml:"Confidentiality"`
	Status          string       `xml:"Status"`
	File            VersionFile  `xml:"Version"`
	Attachments     []Attachment `xml:"Attachments>Attachment"`
}

// Entry is the checksum and size of one entry.
type Entry struct {
	Path   string `xml:"Path,attr"`
	SHA256 string `xml:"SHA256,attr"`
	Size   int64  `xml:"Size,attr"`
}

// Manifest is manifest.xml.
type Manifest struct {
	XMLName xml.Name `xml:"urn:hcm-edu:vanban:hoso:1 Manifest"`
	Version int      `xml:"version,attr"`
	Entries []Entry  `xml:"Entry"`
}

// priorities maps an urgency to Part II's Priority number.
var priorities = map[string]int{"thuong": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3}

const language = "Tiếng Việt"
