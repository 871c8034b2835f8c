// A tiny test harness: TEST(name) registers a case, CHECK/CHECK_EQ record
// failures with file:line, run_all() prints "N passed, N failed".
#pragma once
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace mini {
struct Case {
  const char* name;
  std::function<void()> fn;
};
inline std::vector<Case>& cases() {
  static std::vector<Case> v;
  return v;
}
inline std::vector<std::string>& failures() {
  static std::vector<std::string> v;
  return v;
}
struct Reg {
  Reg(const char* n, std::function<void()> f) { cases().push_back({n, f}); }
};
inline int run_all() {
  int passed = 0, failed = 0;
  for (auto& c : cases()) {
    failures().clear();
    c.fn();
    if (failures().empty()) {
      passed++;
      std::printf("PASS %s\n", c.name);
    } else {
      failed++;
      for (auto& f : failures()) std::printf("FAIL %s: %s\n", c.name, f.c_str());
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
template <typename A, typename B>
void check_eq(const A& a, const B& b, const char* ea, const char* eb, const char* file, int line) {
  if (!(a == b)) {
    std::ostringstream os;
    os << file << ":" << line << ": expected " << ea << " == " << eb << "\n    left:  " << a << "\n    right: " << b;
    failures().push_back(os.str());
  }
}
}  // namespace mini

#define MINI_CAT2(a, b) a##b
#define MINI_CAT(a, b) MINI_CAT2(a, b)
#define TEST(name)                                                  \
  static void MINI_CAT(test_fn_, __LINE__)();                       \
  static mini::Reg MINI_CAT(test_reg_, __LINE__)(name, MINI_CAT(test_fn_, __LINE__)); \
  static void MINI_CAT(test_fn_, __LINE__)()
#define CHECK(cond)                                                                                     \
  do {                                                                                                  \
    if (!(cond)) mini::failures().push_back(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": CHECK(" #cond ") failed"); \
  } while (0)
#define CHECK_EQ(a, b) mini::check_eq((a), (b), #a, #b, __FILE__, __LINE__)
