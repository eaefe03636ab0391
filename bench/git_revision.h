// The source revision the binary was built from, refreshed by Meson's vcs_tag at every build (not only at
// configure time): "a1c4772", "a1c4772-dirty" for a tree with uncommitted changes, "unknown" outside git.
#pragma once

namespace ccb {

const char* gitRevision();

}  // namespace ccb
