/*
 * geometry.h — PostgreSQL's built-in geometric types, from the text their
 * output functions write (geo_ops.c; coordinates as float8out prints them
 * under CONVERT_SESSION_OPTIONS), to the Kafka Connect structs Debezium's
 * PostgreSQL connector writes for them (3.7: PostgresValueConverter's
 * convertPoint/Box/Lseg/Path/Polygon/Circle/Line), and those structs'
 * schemas.  Part of the convert stage: convert.c dispatches the kinds
 * below here, schema.c asks for their schemas.
 *
 *   kind              text                 JSON
 *   CONVERT_POINT     (x,y)                {"x":x,"y":y,"wkb":W,"srid":null}
 *   CONVERT_BOX       (x1,y1),(x2,y2)      {"wkb":W,"srid":null,"extensions":{"type":"box"}}
 *   CONVERT_LSEG      [(x1,y1),(x2,y2)]    … {"type":"lseg"}
 *   CONVERT_PATH      ((p),…) or [(p),…]   … {"type":"path","closed":"true"/"false"}
 *   CONVERT_POLYGON   ((p),…)              … {"type":"polygon"}
 *   CONVERT_CIRCLE    <(x,y),r>            {"center":<the point struct>,"radius":r}
 *   CONVERT_LINE      {a,b,c}              {"a":a,"b":b,"c":c}
 *
 * W is the base64 (standard alphabet, padded: JsonConverter's BYTES,
 * whatever binary.handling.mode says) of 2D OGC WKB, little-endian,
 * without SRID: a point is a Point; a box the Polygon ring (x1,y1),
 * (x1,y2), (x2,y2), (x2,y1), (x1,y1) with (x1,y1) the corner printed
 * first; an lseg, and a path open or closed, a LineString of the points
 * as printed; a polygon a one-ring Polygon, its first point repeated at
 * the end unless the last equals it (IEEE comparison: a NaN coordinate
 * never equals).  Numbers are the server's text (shortened from a
 * server older than 12, see json_float_text), NaN and ±Infinity as JSON
 * strings.
 *
 * Memory: everything is appended to out; nothing is allocated.  A path or
 * polygon is read twice (count and check, then encode), so its size is
 * bounded only by out's cap.
 */
#ifndef WALCAP_GEOMETRY_H
#define WALCAP_GEOMETRY_H

#include <stddef.h>

#include "buf.h"
#include "convert.h"

/*
 * Append the JSON of one value of a geometric kind whose text is
 * s[0..len) (not NUL-terminated), under modes o (NULL: the defaults;
 * only legacy_floats matters).  0, or -1 if the text is not what the
 * type's output function writes (out may then hold a partial value:
 * convert_value() rewinds it).
 */
int		geometry_value(struct buf *out, enum convert_kind kind,
					   const char *s, size_t len, const struct convert_opts *o);

/*
 * Append the Kafka Connect schema of a geometric kind, from its "{" up to
 * and without the closing "}" (the caller adds the field name), in
 * JsonConverter's key order.  optional applies to the point only: the
 * Geometry, Circle and Line schemas are optional whatever the column, as
 * Debezium's builders make them.
 */
void	geometry_schema(struct buf *b, enum convert_kind kind, int optional);

#endif
