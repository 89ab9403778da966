package openstack

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gisiaas/gisiaas/core"
)

// What gisiaas keeps on an OpenStack resource, in its metadata (Nova,
// Cinder), properties (Glance) or tags (Neutron, Octavia, and Nova's server
// tags for lookup): the create's tags, the datacenter it was asked for and a
// digest of its client token, so that an interrupted create is found and
// adopted, never made twice.
const (
	metaTagPrefix = "gisiaas:tag:"
	metaToken     = "gisiaas:token"
	metaDC        = "gisiaas:dc"
	// tokenTagPrefix starts the lookup tag of a client token: Nova's server
	// tags (60 characters at most) and Neutron's tags are plain strings,
	// filterable, which metadata is not.
	tokenTagPrefix = "gisiaas-ct-"
)

// tokenTag is the lookup tag of a create's client token in project os: a
// digest, so any token fits Nova's 60 characters and no tag names a token
// another project could guess. "" when there is no token.
func tokenTag(osProject, token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(osProject + "\x00" + token))
	return tokenTagPrefix + hex.EncodeToString(sum[:])[:40]
}

// createMetadata is the key/value metadata of a new resource: tags, the
// datacenter and the token's digest, beside extra (the resource's own).
func createMetadata(m core.CreateMeta, osProject string, extra map[string]string) map[string]string {
	md := map[string]string{}
	maps.Copy(md, extra)
	for k, v := range m.Tags {
		md[metaTagPrefix+k] = v
	}
	if m.DatacenterID != "" {
		md[metaDC] = m.DatacenterID
	}
	if t := tokenTag(osProject, m.ClientToken); t != "" {
		md[metaToken] = t
	}
	return md
}

// Tags are short strings (Neutron keeps 255 characters), so in them a tag
// is "t:key=value" and the datacenter "dc=id", beside the token's digest.
const (
	tagTagPrefix = "t:"
	tagDCPrefix  = "dc="
)

// createTags is what createMetadata writes, as plain strings for services
// whose resources have tags and no metadata (Neutron, Octavia).
func createTags(m core.CreateMeta, osProject string) []string {
	var tags []string
	for k, v := range m.Tags {
		tags = append(tags, tagTagPrefix+k+"="+v)
	}
	if m.DatacenterID != "" {
		tags = append(tags, tagDCPrefix+m.DatacenterID)
	}
	if t := tokenTag(osProject, m.ClientToken); t != "" {
		tags = append(tags, t) // filterable as it is
	}
	slices.Sort(tags)
	return tags
}

// metaFromMetadata reads back what createMetadata wrote: the tags and the
// datacenter (empty when the resource was not made by gisiaas). The
// resource's own metadata, without gisiaas' keys, is returned as rest.
func metaFromMetadata(md map[string]string) (tags map[string]string, dc string, rest map[string]string) {
	for k, v := range md {
		switch {
		case strings.HasPrefix(k, metaTagPrefix):
			if tags == nil {
				tags = map[string]string{}
			}
			tags[strings.TrimPrefix(k, metaTagPrefix)] = v
		case k == metaDC:
			dc = v
		case k == metaToken:
		default:
			if rest == nil {
				rest = map[string]string{}
			}
			rest[k] = v
		}
	}
	return tags, dc, rest
}

// metaFromTags reads back what createTags wrote; other tags are ignored.
func metaFromTags(tags []string) (map[string]string, string) {
	var out map[string]string
	dc := ""
	for _, t := range tags {
		switch {
		case strings.HasPrefix(t, tagTagPrefix):
			if k, v, ok := strings.Cut(strings.TrimPrefix(t, tagTagPrefix), "="); ok {
				if out == nil {
					out = map[string]string{}
				}
				out[k] = v
			}
		case strings.HasPrefix(t, tagDCPrefix):
			dc = strings.TrimPrefix(t, tagDCPrefix)
		}
	}
	return out, dc
}

// isGisiaasKey says whether a metadata key is one of gisiaas' own, which a
// user's update never touches.
func isGisiaasKey(k string) bool { return strings.HasPrefix(k, "gisiaas:") }

// neutronTagMax is the longest tag Neutron stores (measured on Zed: 256 is refused).
const neutronTagMax = 255

// checkNeutronTags refuses, before anything is created, a create whose tags
// Neutron could not store: Neutron tags a resource only after its create,
// so a tag refused then would leave an untagged resource no retry finds.
func checkNeutronTags(op string, m core.CreateMeta) error {
	for _, t := range createTags(m, "") {
		if len(t) > neutronTagMax {
			return &core.Error{Kind: core.InvalidArgument, Op: op,
				Message: "tags: " + t + " is longer than the " + strconv.Itoa(neutronTagMax) + " characters OpenStack's network service keeps a tag (t:key=value)"}
		}
	}
	return nil
}
