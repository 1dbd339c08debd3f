#!/bin/sh
# Copy the pinned front-end libraries from node_modules/ into app/static/vendor/.
# (Test tools such as axe-core stay in node_modules/: nothing here is served that the chat does not use.)
set -eu
src=node_modules
dst=app/static/vendor
rm -rf "$dst"
mkdir -p "$dst/htmx" "$dst/bulma" "$dst/fontawesome/css"
cp "$src/htmx.org/dist/htmx.min.js" "$src/htmx.org/dist/ext/hx-ws.min.js" "$dst/htmx/"
cp "$src/bulma/css/bulma.min.css" "$dst/bulma/"
cp "$src/@fortawesome/fontawesome-free/css/all.min.css" "$dst/fontawesome/css/"
cp -r "$src/@fortawesome/fontawesome-free/webfonts" "$dst/fontawesome/"
# The emoji picker and its emoji data (served from here: the picker would fetch its data from a CDN otherwise).
mkdir -p "$dst/emoji-picker"
cp "$src/emoji-picker-element/picker.js" "$src/emoji-picker-element/database.js" "$src/emoji-picker-element/LICENSE" "$dst/emoji-picker/"
cp "$src/emoji-picker-element-data/en/emojibase/data.json" "$dst/emoji-picker/data.json"
