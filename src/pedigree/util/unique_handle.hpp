// std::unique_ptr for handles of C libraries that are released by a function
// (libgit2's git_*_free, ...): UniqueHandle<git_tree, git_tree_free>.
#pragma once

#include <memory>

namespace pedigree {

template <typename T, void (*Free)(T*)>
struct FreeWith {
  void operator()(T* p) const { Free(p); }
};

template <typename T, void (*Free)(T*)>
using UniqueHandle = std::unique_ptr<T, FreeWith<T, Free>>;

}  // namespace pedigree
