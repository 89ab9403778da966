package core

import (
	"fmt"
	"regexp"
	"strings"
)

// imageAttr reads and writes one patchable attribute of an image.
type imageAttr struct {
	exists   func(*Image) bool
	set      func(*Image, any) error
	clear    func(*Image) error // nil: the attribute cannot be removed
	readOnly bool
}

var propertyKey = regexp.MustCompile(`^[A-Za-z0-9_:.\-]{1,255}$`)

func stringAttr(get func(*Image) *string, removable bool, check func(string) error) imageAttr {
	a := imageAttr{
		exists: func(i *Image) bool { return *get(i) != "" },
		set: func(i *Image, v any) error {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("must be a string")
			}
			if check != nil {
				if err := check(s); err != nil {
					return err
				}
			}
			*get(i) = s
			return nil
		},
	}
	if removable {
		a.clear = func(i *Image) error { *get(i) = ""; return nil }
	} else {
		a.exists = func(*Image) bool { return true }
	}
	return a
}

func intAttr(get func(*Image) *int64) imageAttr {
	return imageAttr{
		exists: func(*Image) bool { return true },
		set: func(i *Image, v any) error {
			var n int64
			switch x := v.(type) {
			case float64: // JSON numbers
				// Bound first: converting a float beyond int64 is
				// CPU-dependent (amd64 and arm64 differ).
				if x >= 9.223372036854775807e18 || x <= -9.223372036854775808e18 {
					return fmt.Errorf("is too large")
				}
				if x != float64(int64(x)) {
					return fmt.Errorf("must be a whole number")
				}
				n = int64(x)
			case int:
				n = int64(x)
			case int64:
				n = x
			default:
				return fmt.Errorf("must be a number")
			}
			if n < 0 {
				return fmt.Errorf("must not be negative")
			}
			*get(i) = n
			return nil
		},
	}
}

var readOnlyAttr = imageAttr{readOnly: true, exists: func(*Image) bool { return true }}

var imageAttrs = map[string]imageAttr{
	"name": stringAttr(func(i *Image) *string { return &i.Name }, false, func(s string) error {
		return ValidateName("name", s, true)
	}),
	"description": stringAttr(func(i *Image) *string { return &i.Description }, true, func(s string) error {
		return ValidateDescription("description", s)
	}),
	"architecture": stringAttr(func(i *Image) *string { return &i.Architecture }, true, func(s string) error {
		if s != "x86_64" && s != "aarch64" {
			return fmt.Errorf("must be x86_64 or aarch64")
		}
		return nil
	}),
	"visibility": stringAttr(func(i *Image) *string { return (*string)(&i.Visibility) }, false, func(s string) error {
		if s != string(VisibilityPublic) && s != string(VisibilityPrivate) {
			return fmt.Errorf("must be public or private")
		}
		return nil
	}),
	"min_ram_mb":  intAttr(func(i *Image) *int64 { return &i.MinRAMMB }),
	"min_disk_gb": intAttr(func(i *Image) *int64 { return &i.MinDiskGB }),
	"protected": {
		exists: func(*Image) bool { return true },
		set: func(i *Image, v any) error {
			b, ok := v.(bool)
			if !ok {
				return fmt.Errorf("must be true or false")
			}
			i.Protected = b
			return nil
		},
	},
	"image_tags": {
		exists: func(i *Image) bool { return len(i.ImageTags) > 0 },
		set: func(i *Image, v any) error {
			var list []any
			switch x := v.(type) {
			case []any: // JSON
				list = x
			case []string: // a Go caller: the same rules, and a copy
				for _, s := range x {
					list = append(list, s)
				}
			default:
				return fmt.Errorf("must be a list of strings")
			}
			tags := make([]string, 0, len(list)) // never nil: [] in JSON, not null
			for _, t := range list {
				s, ok := t.(string)
				if !ok || checkTag("tag", s) != nil {
					return fmt.Errorf("must be a list of non-empty strings of at most %d characters", MaxNameLen)
				}
				tags = append(tags, s)
			}
			i.ImageTags = tags
			return nil
		},
		clear: func(i *Image) error { i.ImageTags = []string{}; return nil },
	},
	"id": readOnlyAttr, "status": readOnlyAttr, "size_bytes": readOnlyAttr, "checksum": readOnlyAttr,
	"owner_id": readOnlyAttr, "file_location": readOnlyAttr, "created_at": readOnlyAttr,
	"updated_at": readOnlyAttr, "type": readOnlyAttr, "source_server_id": readOnlyAttr,
	"disk_format": readOnlyAttr, "project_id": readOnlyAttr, "datacenter_id": readOnlyAttr,
}

// Glance's names for the same attributes.
var imageAttrAliases = map[string]string{"min_ram": "min_ram_mb", "min_disk": "min_disk_gb", "tags": "image_tags",
	"size": "size_bytes", "owner": "owner_id", "file": "file_location"}

// ApplyImagePatch applies ops to a copy of img, all or none (B.2.3.5):
// add only an attribute that is missing, replace or remove only one that
// exists. A path that is not a known attribute names a free-form property.
// Read-only attributes are PermissionDenied; other mistakes InvalidArgument.
func ApplyImagePatch(img Image, ops []PatchOp) (Image, error) {
	if len(ops) == 0 {
		return img, invalid("patch", "is empty")
	}
	out := img
	if img.ImageTags != nil { // an empty list stays an empty list, never null
		out.ImageTags = append(make([]string, 0, len(img.ImageTags)), img.ImageTags...)
	}
	out.Properties = make(map[string]string, len(img.Properties))
	for k, v := range img.Properties {
		out.Properties[k] = v
	}
	for n, op := range ops {
		field := fmt.Sprintf("patch[%d]", n)
		name, ok := strings.CutPrefix(op.Path, "/")
		if !ok || name == "" || strings.Contains(name, "/") {
			return img, invalid(field+".path", "%q is not /<attribute>", op.Path)
		}
		if a, ok := imageAttrAliases[name]; ok {
			name = a
		}
		attr, known := imageAttrs[name]
		if !known {
			if !propertyKey.MatchString(name) {
				return img, invalid(field+".path", "%q is not a valid property name", name)
			}
			attr = propertyAttr(name)
		}
		if attr.readOnly {
			return img, &Error{Kind: PermissionDenied, Message: fmt.Sprintf("%s: attribute %q is read-only", field, name)}
		}
		exists := attr.exists(&out)
		switch op.Op {
		case "add":
			if exists {
				return img, invalid(field, "attribute %q exists; add is only for a missing attribute (use replace)", name)
			}
		case "replace":
			if !exists {
				return img, invalid(field, "attribute %q does not exist; replace is only for an existing one (use add)", name)
			}
		case "remove":
			if !exists {
				return img, invalid(field, "attribute %q does not exist", name)
			}
			if attr.clear == nil {
				return img, invalid(field, "attribute %q is required and cannot be removed", name)
			}
			if err := attr.clear(&out); err != nil {
				return img, invalid(field, "%v", err)
			}
			continue
		default:
			return img, invalid(field+".op", "must be add, replace or remove, not %q", op.Op)
		}
		if err := attr.set(&out, op.Value); err != nil {
			var e *Error
			if ok := asError(err, &e); ok {
				return img, err
			}
			return img, invalid(field+".value", "%s %v", name, err)
		}
	}
	if len(out.Properties) == 0 {
		out.Properties = nil
	}
	return out, nil
}

func propertyAttr(key string) imageAttr {
	return imageAttr{
		exists: func(i *Image) bool { _, ok := i.Properties[key]; return ok },
		set: func(i *Image, v any) error {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("must be a string")
			}
			if err := validateText(key, s, MaxNameLen); err != nil {
				return err
			}
			i.Properties[key] = s
			return nil
		},
		clear: func(i *Image) error { delete(i.Properties, key); return nil },
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}
