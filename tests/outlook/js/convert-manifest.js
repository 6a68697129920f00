/**
 * Read an XML add-in manifest with Microsoft's own manifest parser (the Office Solution
 * Framework's, inside office-addin-manifest-converter) and write what it understood as the
 * unified app manifest JSON. Used by tests/outlook/test_manifest.py:
 *
 *   node tests/outlook/js/convert-manifest.js <manifest.xml> <output directory>
 *
 * Exits 1 with the parser's message when it refuses the manifest. Images are not downloaded.
 */

import { convert } from "office-addin-manifest-converter";

const [xmlPath, outputDirectory] = process.argv.slice(2);
try {
  await convert(xmlPath, outputDirectory, false, null, null, false);
} catch (error) {
  console.error(`The manifest parser refused the manifest: ${error}`);
  process.exit(1);
}
