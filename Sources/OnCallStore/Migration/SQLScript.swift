/// Splits a SQL file into statements, since PostgresNIO sends one statement per query.
///
/// Splits on `;` outside string literals ('…', E'…' with backslash escapes), quoted identifiers ("…"),
/// dollar-quoted bodies ($$…$$, $tag$…$tag$), line comments (-- …) and block comments (/* … */, nested).
enum SQLScript {
    static func statements(in script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var result: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        var onlyTrivia = true

        func flush() {
            let text = String(current)
            if !onlyTrivia { result.append(text.trimmed) }
            current = String.UnicodeScalarView()
            onlyTrivia = true
        }
        func peek(_ offset: Int) -> Unicode.Scalar? { i + offset < chars.count ? chars[i + offset] : nil }

        while i < chars.count {
            let c = chars[i]
            if c == "-" && peek(1) == "-" {
                while i < chars.count && chars[i] != "\n" { current.append(chars[i]); i += 1 }
                continue
            }
            if c == "/" && peek(1) == "*" {
                var depth = 0
                repeat {
                    if chars[i] == "/" && peek(1) == "*" { depth += 1; current.append(chars[i]); current.append(chars[i + 1]); i += 2; continue }
                    if chars[i] == "*" && peek(1) == "/" { depth -= 1; current.append(chars[i]); current.append(chars[i + 1]); i += 2; continue }
                    current.append(chars[i]); i += 1
                } while depth > 0 && i < chars.count
                continue
            }
            if c == ";" { flush(); i += 1; continue }
            if !c.properties.isWhitespace { onlyTrivia = false }
            if c == "'" || c == "\"" {
                let backslashEscapes = c == "'" && i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e")
                current.append(c); i += 1
                while i < chars.count {
                    let d = chars[i]
                    current.append(d); i += 1
                    if backslashEscapes && d == "\\" && i < chars.count { current.append(chars[i]); i += 1; continue }
                    if d == c {
                        if peek(0) == c { current.append(c); i += 1; continue }  // doubled quote
                        break
                    }
                }
                continue
            }
            if c == "$", let tagEnd = dollarTagEnd(chars, from: i) {
                let tag = Array(chars[i...tagEnd])
                for t in tag { current.append(t) }
                i = tagEnd + 1
                while i < chars.count {
                    if chars[i] == "$" && i + tag.count <= chars.count && Array(chars[i..<(i + tag.count)]) == tag {
                        for t in tag { current.append(t) }
                        i += tag.count
                        break
                    }
                    current.append(chars[i]); i += 1
                }
                continue
            }
            current.append(c); i += 1
        }
        flush()
        return result
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `start`, if it is one.
    private static func dollarTagEnd(_ chars: [Unicode.Scalar], from start: Int) -> Int? {
        if start > 0, chars[start - 1].properties.isAlphabetic || chars[start - 1] == "_" || ("0"..."9").contains(chars[start - 1]) { return nil }
        var j = start + 1
        while j < chars.count {
            let c = chars[j]
            if c == "$" { return j }
            let isTagChar = c.properties.isAlphabetic || c == "_" || (j > start + 1 && ("0"..."9").contains(c))
            if !isTagChar { return nil }
            j += 1
        }
        return nil
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
