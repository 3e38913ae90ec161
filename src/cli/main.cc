#include <cstdio>
int main() { std::puts("rdc"); return 0; }
