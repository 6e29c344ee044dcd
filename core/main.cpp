#include "cli.h"

int main(int argc, char** argv) { return shootout::core::run_cli(argc, argv); }
